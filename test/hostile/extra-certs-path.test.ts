import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCommand } from '../../cli/commands.js';
import { SecretScrubber } from '../../core/kernel/scrub.js';

const base: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  CODER_INNER_IMAGE: 'registry.test:5000/busybox:latest', CODER_INNER_USERNAME: 'coder',
  CODER_AGENT_TOKEN: 'tok-secret-12345', CODER_AGENT_URL: 'https://coder.test',
  ENVBOX_IMAGE_FACTS: '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}',
  CODER_DOCKER_CONFIG: '/nonexistent/config.json',
};
const root = mkdtempSync(join(tmpdir(), 'envbox-certs-path-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The real `envbox plan`, in-process; a FIFO opened blocking would hang it, so the test would time out. */
async function plan(certsPath: string): Promise<{ code: number; out: string }> {
  let out = '';
  const io = { stdout: { write: (t: string) => { out += t; } }, stderr: { write: (t: string) => { out += t; } }, cwd: root, secrets: new SecretScrubber() };
  const code = await runCommand('plan', [], { ...base, CODER_EXTRA_CERTS_PATH: certsPath }, io);
  return { code, out };
}

describe('CODER_EXTRA_CERTS_PATH is checked before anything starts', () => {
  const fifo = join(root, 'ca.fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: Array<[string, string, RegExp]> = [
    ['a missing file', join(root, 'missing.pem'), /does not exist/],
    ['a path through a missing directory', '/a/../..', /does not exist/],
    ['a FIFO (never opened)', fifo, /is a FIFO or a socket/],
    ['/dev/stdin (a character device or a pipe, never read)', '/dev/stdin', /is a (character device|FIFO or a socket)/],
    ['/dev/null', '/dev/null', /is a character device/],
  ];
  for (const [what, path, why] of cases) {
    it(`exits 2 for ${what}, naming the variable, the problem and an example`, { timeout: 30_000 }, async () => {
      const { code, out } = await plan(path);
      assert.equal(code, 2, out);
      assert.match(out, /CODER_EXTRA_CERTS_PATH/);
      assert.match(out, why);
      assert.match(out, /CODER_EXTRA_CERTS_PATH=\/etc\/envbox\/certs/);
      assert.doesNotMatch(out, /prePull/);
    });
  }

  it('accepts a certificate file and a directory', async () => {
    const file = join(root, 'ca.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    assert.equal((await plan(file)).code, 0);
    assert.equal((await plan(root)).code, 0);
  });
});
