import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
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
    // Without the fix the run never ends: the test's own timeout is the bound (the fallback SIGTERM comes later).
    const { code, stderr } = await dockerUntilSigterm(t, root, planEnv(root), 'stuck-in-configure\n', 50_000);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /"output":"Stopped \(SIGTERM\) while reading the inputs and the config; nothing was started\."/);
  });
});

/**
 * Runs the real `envbox docker` in `root` and sends it SIGTERM once stderr has `ready` in it, or after
 * `fallbackMs` when it never gets that far (a run stuck before it, as a failing one is); resolves with
 * the exit code and stderr.
 */
async function dockerUntilSigterm(t: TestContext, root: string, env: Record<string, string>, ready: string, fallbackMs = 10_000) {
  const child = spawn(process.execPath, ['--conditions=envbox-source', '--import', import.meta.resolve('tsx'), MAIN, 'docker'], {
    cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  let sent = false;
  const term = () => { if (!sent) { sent = true; child.kill('SIGTERM'); } };
  const fallback = setTimeout(term, fallbackMs);
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (stderr.includes(ready)) term();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(fallback);
  return { code, stderr };
}

/** A Docker API that answers only /_ping: enough for envbox to go on to the pull, where a tap hangs. */
async function pingOnlyDaemon(t: TestContext, socket: string): Promise<void> {
  const server = createServer((request, response) => {
    if (request.url?.endsWith('/_ping')) { response.writeHead(200, { 'content-type': 'text/plain' }).end('OK'); return; }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

describe('SIGTERM is handled while CODER_DOCKER_CONFIG names a FIFO (nothing ever writes to it)', () => {
  it('configure skips the FIFO without waiting, so SIGTERM stops envbox with its build-log line, exit 0', { timeout: 60_000 }, async (t) => {
    const root = await projectDir();
    const fifo = join(root, 'docker-config.json');
    execFileSync('mkfifo', [fifo]);
    // Releases a reader that a failing run left blocked, so that the run (and the test) can end.
    t.after(() => { try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ } });
    const env = planEnv(root, { CODER_DOCKER_CONFIG: fifo, ENVBOX_OOM_SCORE_FILE: join(root, 'oom_score_adj') });
    const { code, stderr } = await dockerUntilSigterm(t, root, env, 'Using the existing Docker daemon');
    assert.match(stderr, /Using the existing Docker daemon at unix:\/\/\/nonexistent\/docker\.sock/);
    assert.match(stderr, /"output":"Stopping \(SIGTERM\) before the workspace was ready\.\.\."/);
    assert.equal(code, 0, stderr);
  });
});

/** A site plugin whose prePull tap never settles, and says so. */
const STUCK_PRE_PULL = `export default { plugins: [{ name: 'stuck', apply({ hooks }) {
  hooks.prePull.tap(async (pull) => {
    process.stderr.write('stuck-in-prePull\\n');
    await new Promise(() => setInterval(() => {}, 1000));
    return pull;
  });
} }] };
`;

describe('SIGTERM is handled even while a prePull tap never settles', () => {
  it('stops before the pull with the build-log line, exit 0', { timeout: 60_000 }, async (t) => {
    const root = await projectDir({ 'envbox.config.mjs': STUCK_PRE_PULL });
    const socket = join(root, 'docker.sock');
    await pingOnlyDaemon(t, socket);
    const env = planEnv(root, { ENVBOX_DOCKER_HOST: `unix://${socket}`, ENVBOX_OOM_SCORE_FILE: join(root, 'oom_score_adj') });
    const { code, stderr } = await dockerUntilSigterm(t, root, env, 'stuck-in-prePull\n');
    assert.match(stderr, /stuck-in-prePull/);
    assert.match(stderr, /"output":"Stopping \(SIGTERM\) before the workspace was ready\.\.\."/);
    assert.match(stderr, /"output":"Received SIGTERM; shutting down the workspace\.\.\."/);
    assert.equal(code, 0, stderr);
  });
});
