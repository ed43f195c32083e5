// SIGTERM while dockerd starts, during the pull and while
// the workspace runs; and the workspace dying under envbox. Nothing envbox started may be left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWorld, destroyWorld, Sandbox, type EnvboxRun, type World } from './harness/index.js';
import { worstCaseShutdownSeconds } from '../core/engine/lifecycle/shutdown-budget.js';
import { readyMarkerPath, readyProbeScript } from '../core/engine/status/ready-marker.js';
import { assertFailsWith, assertNothingLeft, installCa, pullSecret, TRAP_BOOTSTRAP, waitForFile, withSandbox, type SandboxCase } from './harness/scenario.js';

/** The readiness probe of the examples, run as a kubelet would: /bin/sh -c, no node. */
function readyProbe(marker: string): 'ready' | 'not ready' {
  return spawnSync('/bin/sh', ['-c', readyProbeScript(marker)], { stdio: 'ignore' }).status === 0 ? 'ready' : 'not ready';
}

describe('signals and inner exit', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  const inSandbox = (label: string, fn: SandboxCase) => withSandbox(world, label, fn);

  async function workspaceEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
      CODER_MOUNTS: '/home/coder:/home/coder',
      CODER_BOOTSTRAP_SCRIPT: TRAP_BOOTSTRAP,
      ...extra,
    });
  }

  /** SIGTERM, then: exit 0 within the bound, the reason in the build log, no done line, nothing left. */
  async function assertStopsBeforeReady(sandbox: Sandbox, run: EnvboxRun): Promise<void> {
    run.signal('SIGTERM');
    const status = await run.waitForExit(45_000);
    assert.deepEqual(status, { code: 0, signal: null }, `a requested stop exits 0\n${run.tail()}`);
    assert.ok(!run.buildLog().some((l) => l.type === 'done'), 'stopped before the workspace was ready');
    assert.ok(run.buildLog().some((l) => /SIGTERM/.test(l.output)), `the build log says it stops on SIGTERM\n${run.tail()}`);
    await assertNothingLeft(sandbox);
  }

  test('SIGTERM while dockerd starts', { timeout: 120_000 }, () => inSandbox('sigterm-daemon-start', async (sandbox, track) => {
    const setup = await sandbox.slowDockerdSetup(20);
    const run = track(await sandbox.startEnvbox(await workspaceEnv(sandbox), ['docker'], setup));
    await run.waitForOutput(/Waiting for dockerd to start up/, 30_000);
    await assertStopsBeforeReady(sandbox, run);
    assert.ok(!run.buildLog().some((l) => /Pulling image/.test(l.output)), 'it never got to the pull');
  }));

  test('SIGTERM during the pull', { timeout: 120_000 }, () => inSandbox('sigterm-pull', async (sandbox, track) => {
    // About 1 MB at 1 Mbit/s: the pull lasts several seconds.
    await sandbox.throttleRegistry('1mbit');
    const run = track(await sandbox.startEnvbox(await workspaceEnv(sandbox)));
    await run.waitForOutput(/Pulling image/, 60_000);
    await assertStopsBeforeReady(sandbox, run);
    assert.ok(!run.buildLog().some((l) => /Creating workspace/.test(l.output)), 'it never got to creating the workspace');
    // Once the stop is under way, the aborted pull must not be retried (that would pull again, or
    // talk to a daemon that is being stopped).
    const outputs = run.buildLog().map((l) => l.output);
    const stopAt = outputs.findIndex((o) => /Received SIGTERM|Stopping \(SIGTERM\)/.test(o));
    const retries = outputs.slice(stopAt).filter((o) => /retrying/i.test(o));
    assert.deepEqual(retries, [], 'no pull retry after SIGTERM');
  }));

  test('SIGTERM while running: the bootstrap gets SIGTERM, everything stops', { timeout: 120_000 }, () => inSandbox('sigterm-running', async (sandbox, track) => {
    const run = track(await sandbox.startEnvbox(await workspaceEnv(sandbox)));
    await run.waitForDone(90_000);
    await waitForFile(join(sandbox.paths.home, 'coder', 'bootstrap-started'), 30_000, 'the bootstrap trap is set');
    const dockerdPid = Number((await readFile(sandbox.paths.pidfile, 'utf8')).trim());
    assert.ok(dockerdPid > 0, 'dockerd wrote its pidfile');
    const marker = readyMarkerPath(sandbox.paths.statusFile);
    assert.equal(readyProbe(marker), 'ready', 'the ready marker says ready while envbox runs');
    const status = await run.stop(60_000);
    assert.deepEqual(status, { code: 0, signal: null }, run.tail());
    assert.equal(readyProbe(marker), 'not ready', 'after the stop');
    assert.match(run.buildLog().map((l) => l.output).join('\n'), /stopped in [\d.]+ s: shutdown hooks [\d.]+ s, bootstrap [\d.]+ s, container [\d.]+ s, daemons [\d.]+ s/,
      'the build log gives the stop phases with their times');
    assert.equal((await readFile(join(sandbox.paths.home, 'coder', 'term-received'), 'utf8').catch(() => '')).trim(), 'TERM',
      'the bootstrap process received SIGTERM (its trap writes term-received)');
    await assertNothingLeft(sandbox);
  }));

  test('a bootstrap that prints 300 MB without a newline, then floods until SIGTERM: memory stays bounded, the cut is said once, the stop is prompt',
    { timeout: 180_000 }, (t) => inSandbox('flood-no-newline', async (sandbox, track) => {
      const flood = [
        'head -c 314572800 /dev/zero | tr "\\0" a',
        'echo',
        'echo flood-finished',
        'head -c 200000 /dev/zero | tr "\\0" b',
        'echo',
        'trap \'exit 0\' TERM',
        'tr "\\0" c < /dev/zero & wait $!',
      ].join('\n');
      const run = track(await sandbox.startEnvbox(await workspaceEnv(sandbox, { CODER_BOOTSTRAP_SCRIPT: flood, ENVBOX_BOOTSTRAP_LOG_LIMIT: String(1 << 30) })));
      await run.waitForOutput(/^flood-finished$/, 120_000);
      // The next long line follows flood-finished; on a slow machine it may not be in the log yet.
      await run.waitForOutput(/^b{1000,}$/, 60_000);
      const peakKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${run.pid}/status`, 'utf8'))?.[1]);
      t.diagnostic(`envbox's peak RSS (VmHWM) after the 300 MB line: ${Math.round(peakKiB / 1024)} MiB`);
      // envbox itself peaks near 100 MiB here; a 300 MB line held whole costs more than that again.
      assert.ok(peakKiB > 0 && peakKiB < 250 * 1024, `envbox's peak RSS after a 300 MB line is ${peakKiB} KiB`);
      const outputs = run.buildLog().map((l) => l.output);
      const warnings = outputs.filter((o) => /a line of the bootstrap's output was longer than \d+ bytes; it was cut/.test(o));
      assert.equal(warnings.length, 1, `the cut is said once, though three lines were cut\n${run.tail()}`);
      assert.ok(outputs.some((o) => /^a{1000,}$/.test(o)), 'the start of the long line is shown');
      assert.ok(outputs.some((o) => /^b{1000,}$/.test(o)), 'the next long line is shown too, cut');
      assert.ok(outputs.every((o) => Buffer.byteLength(o) <= 64 * 1024), 'no build-log line is longer than the limit');
      // The last flood never ends: SIGTERM must still be handled within the shutdown budget, and everything stopped.
      const status = await run.stop(worstCaseShutdownSeconds(90, false) * 1000);
      assert.deepEqual(status, { code: 0, signal: null }, run.tail());
      await assertNothingLeft(sandbox);
    }));

  test('the workspace killed under envbox: envbox exits non-zero and says why', { timeout: 120_000 }, () => inSandbox('inner-exit', async (sandbox, track) => {
    const run = track(await sandbox.startEnvbox(await workspaceEnv(sandbox)));
    await run.waitForDone(90_000);
    await sandbox.dockerOk(['kill', 'workspace_cvm']);
    await assertFailsWith(run, /workspace container exited with code 137|exited|killed/i, 60_000, { afterReady: true });
    const error = run.buildLog().find((l) => l.type === 'error')!;
    assert.match(error.output, /137|SIGKILL|killed/, 'the error names how it ended');
    await assertNothingLeft(sandbox);
    const termination = await readFile(sandbox.paths.terminationLog, 'utf8').catch(() => '');
    assert.match(termination, /exited|killed/i, 'the termination log tells Kubernetes why');
  }));
});
