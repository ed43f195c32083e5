import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { planEnv, projectDir, removeProjects } from '../test/hostile/cli.js';

after(removeProjects);

const MAIN = join(import.meta.dirname, 'main.ts');

/** A site plugin whose configure tap never settles (a read stuck on a FIFO would look the same), and says so. */
const STUCK_CONFIG = `export default { plugins: [{ name: 'stuck', apply({ hooks }) {
  hooks.configure.tap(async (options) => {
    process.stderr.write('stuck-in-configure\\n');
    await new Promise(() => setInterval(() => {}, 1000));
    return options;
  });
} }] };
`;

describe('SIGTERM is handled even while a configure tap never settles', () => {
  it('exits 0 with a build-log line that says it stopped before anything started', { timeout: 60_000 }, async (t) => {
    const root = await projectDir({ 'envbox.config.mjs': STUCK_CONFIG });
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, 'docker'], {
      cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...planEnv(root) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Without the fix the run never ends: it must not outlive the test.
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('stuck-in-configure\n')) child.kill('SIGTERM');
    });
    // The test's own timeout is the bound; before the fix this run never ended.
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /"output":"Stopped \(SIGTERM\) while reading the inputs and the config; nothing was started\."/);
  });
});
