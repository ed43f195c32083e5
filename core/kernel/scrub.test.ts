import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretScrubber } from './scrub.js';

// The token holds each character that Go's writers escape: & < > " and \.
const TOKEN = 'tok&<en>"\\-1234';

function scrubbed(line: string): string {
  const scrubber = new SecretScrubber();
  scrubber.add([TOKEN]);
  return scrubber.scrub(line);
}

describe('SecretScrubber, on lines as Go programs write them', () => {
  it("finds a secret in Go's encoding/json form (\\u0026, \\u003c, \\u003e): the agent's and dockerd's JSON logs", () => {
    // json.Marshal(map[string]string{"msg": "Env: TOKEN=" + token}) in Go.
    const line = String.raw`{"msg":"Env: TOKEN=tok\u0026\u003cen\u003e\"\\-1234"}`;
    assert.equal(scrubbed(line), '{"msg":"Env: TOKEN=[redacted]"}');
  });

  it("finds a secret in logrus's msg=\"...\" around a JSON body: dockerd at debug level logging a ContainerCreate", () => {
    // The client's JSON body (JSON.stringify), then logrus's %q around the whole message.
    const line = String.raw`level=debug msg="form data: {\"Env\":[\"CODER_AGENT_TOKEN=tok&<en>\\\"\\\\-1234\"]}"`;
    assert.equal(scrubbed(line), String.raw`level=debug msg="form data: {\"Env\":[\"CODER_AGENT_TOKEN=[redacted]\"]}"`);
  });

  it('finds a secret in Go JSON inside logrus quoting (\\\\u0026 ...)', () => {
    const line = String.raw`msg="body: {\"t\":\"tok\\u0026\\u003cen\\u003e\\\"\\\\-1234\"}"`;
    assert.equal(scrubbed(line), String.raw`msg="body: {\"t\":\"[redacted]\"}"`);
  });

  it('finds a secret percent-encoded in a URL, as encodeURIComponent and Go write it', () => {
    assert.equal(scrubbed('https://u:tok%26%3Cen%3E%22%5C-1234@h'), 'https://u:[redacted]@h');
    assert.equal(scrubbed('https://u:tok&%3Cen%3E%22%5C-1234@h'), 'https://u:[redacted]@h');
  });

  it('finds a secret with controls and non-ASCII in Go JSON and logrus forms', () => {
    const scrubber = new SecretScrubber();
    scrubber.add(['p\bw\u2028é-5678']);
    assert.equal(scrubber.scrub(String.raw`{"x":"p\u0008w\u2028é-5678"}`), '{"x":"[redacted]"}');
    assert.equal(scrubber.scrub(String.raw`msg="p\bw\u2028é-5678"`), 'msg="[redacted]"');
  });

  it('finds a secret inside a longer base64 value, at any byte offset: basic auth, an X-Registry-Auth header', () => {
    const scrubber = new SecretScrubber();
    scrubber.add(['s3cret-pass-word']);
    for (const user of ['u', 'us', 'usr']) {
      const basic = Buffer.from(`${user}:s3cret-pass-word`).toString('base64');
      const header = Buffer.from(JSON.stringify({ username: user, password: 's3cret-pass-word', serveraddress: 'r' })).toString('base64url');
      for (const line of [basic, header]) {
        const out = scrubber.scrub(line);
        assert.match(out, /\[redacted\]/, `${user}: ${out}`);
        for (const cut of out.split('[redacted]')) {
          for (const skip of [0, 1, 2, 3]) assert.ok(!Buffer.from(cut.slice(skip), 'base64').toString().includes('cret-pass'), `${user}: ${out}`);
        }
      }
    }
  });
});
