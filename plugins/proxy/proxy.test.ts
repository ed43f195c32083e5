import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from 'envbox';
import { runConfigure, runPreDaemon } from 'envbox/testing';
import { proxyPlugin } from './index.js';
import { maskedProxy } from './inputs.js';

const PASSWORD = 'pr0xy-s3cret-value';
const WITH_CREDENTIALS = `http://alice:${PASSWORD}@proxy.corp:3128`;

async function configure(env: Record<string, string>) {
  return (await runConfigure([proxyPlugin()], { env })).options;
}

describe('proxy plugin', () => {
  it('gives dockerd HTTP_PROXY, HTTPS_PROXY and NO_PROXY on its own env', async () => {
    const env = { HTTP_PROXY: 'http://proxy.corp:3128', HTTPS_PROXY: WITH_CREDENTIALS, NO_PROXY: 'localhost,.svc' };
    const { daemon, actions, buildLog } = await runPreDaemon([proxyPlugin()], { env });
    assert.deepEqual(daemon.env, env);
    assert.deepEqual(actions, []);
    assert.ok(buildLog.some((l) => l.output === `dockerd pulls through HTTP_PROXY=http://proxy.corp:3128 HTTPS_PROXY=http://alice:[redacted]@proxy.corp:3128 NO_PROXY=localhost,.svc`),
      JSON.stringify(buildLog));
  });

  it('leaves dockerd alone when no proxy is given', async () => {
    const { daemon } = await runPreDaemon([proxyPlugin()]);
    assert.deepEqual(daemon.env, {});
  });

  it('reads the lowercase names when the uppercase ones are unset, and the uppercase name wins', async () => {
    const options = await configure({ https_proxy: WITH_CREDENTIALS, no_proxy: '.corp', HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' });
    assert.deepEqual(options.toJSON(), {
      ...options.toJSON(),
      httpProxy: 'http://upper:1',
      httpsProxy: `http://alice:[redacted]@proxy.corp:3128`,
      noProxy: '.corp',
    });
  });

  it('treats the password in a proxy URL as a secret: scrubbed everywhere, the rest readable', async () => {
    const options = await configure({ HTTPS_PROXY: WITH_CREDENTIALS, HTTP_PROXY: 'http://bob:p%40ss-word-enc@proxy:1' });
    assert.ok(options.secretValues().includes(PASSWORD));
    assert.ok(options.secretValues().includes('p@ss-word-enc'), 'the decoded password too');
    assert.equal(JSON.stringify(options.toJSON()).includes(PASSWORD), false);
    assert.equal(maskedProxy(WITH_CREDENTIALS), 'http://alice:[redacted]@proxy.corp:3128');
    assert.equal(maskedProxy('http://proxy.corp:3128'), 'http://proxy.corp:3128');
  });

  it("splits the password at the last '@' and decodes its escapes, as Go does: no part of it is printed", async () => {
    const options = await configure({ HTTPS_PROXY: 'http://alice:pr0xy@s3cret%41-x@proxy.corp:3128', HTTP_PROXY: 'http://al@ce:%2Fsl%41sh-pw@proxy:1' });
    const secrets = options.secretValues();
    for (const form of ['pr0xy@s3cret%41-x', 'pr0xy@s3cret' + 'A-x', '%2Fsl%41sh-pw', '/slAsh-pw']) assert.ok(secrets.includes(form), `${form} in ${secrets.join(' ')}`);
    const shown = JSON.stringify(options.toJSON());
    assert.equal(/s3cret|sl%41sh|slAsh/.test(shown), false, shown);
    assert.equal(maskedProxy('http://alice:pr0xy@s3cret%41-x@proxy.corp:3128'), 'http://alice:[redacted]@proxy.corp:3128');
  });

  for (const [name, env, pattern] of [
    ['a URL without a scheme', { HTTPS_PROXY: 'proxy.corp:3128' }, /^HTTPS_PROXY: "proxy.corp:3128" is not a proxy URL/],
    ['a path', { HTTP_PROXY: `http://u:${PASSWORD}@proxy/x` }, /^HTTP_PROXY: "http:\/\/u:\[redacted\]@proxy\/x" has a path/],
    ['text that is no URL but may hold a password', { HTTPS_PROXY: `u:${PASSWORD} @proxy` }, /^HTTPS_PROXY: the value \(hidden: it may hold a password\) is not a proxy URL/],
    ['a malformed percent-escape in the password', { HTTP_PROXY: `http://u:${PASSWORD}%zz@proxy:1` }, /^HTTP_PROXY: "http:\/\/u:\[redacted\]@proxy:1": its password holds a malformed percent-escape.*%40 for @.*Example: HTTP_PROXY=http:\/\/proxy.corp:3128$/],
    ['a malformed percent-escape in the user name', { HTTP_PROXY: `http://u%4:${PASSWORD}@proxy:1` }, /^HTTP_PROXY: "http:\/\/u%4:\[redacted\]@proxy:1": its user name holds a malformed percent-escape/],
    ['a character Go rejects in the password', { HTTP_PROXY: `http://u:${PASSWORD}"x@proxy:1` }, /^HTTP_PROXY: "http:\/\/u:\[redacted\]@proxy:1": its user:password holds a character that Go's URL parser \(and so dockerd\) rejects.*percent-encode it/],
    ['a bad lowercase fallback', { https_proxy: 'ftp://proxy:21' }, /^https_proxy: "ftp:\/\/proxy:21" is not a proxy URL.*Example: https_proxy=http:\/\/user:password@proxy.corp:3128$/],
  ] as const) {
    it(`rejects ${name} with exit 2, naming the variable and never the password`, async () => {
      await assert.rejects(configure(env), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.match(error.message, pattern);
        assert.equal(error.message.includes(PASSWORD), false);
        return true;
      });
    });
  }
});
