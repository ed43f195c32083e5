import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStatusCommand, type StatusCommandIo } from './command.js';
import { processStartTime, readyMarkerPath, readyProbeScript } from './ready-marker.js';
import { StatusTracker } from './tracker.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-ready-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The probe exactly as docs/probes.md and the examples run it (/bin/sh -c, builtins only): 0 is ready. */
function probe(marker: string): 0 | 'not ready' {
  return spawnSync('/bin/sh', ['-c', readyProbeScript(marker)], { stdio: 'ignore' }).status === 0 ? 0 : 'not ready';
}

function statusDir(name: string): { statusFile: string; marker: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const statusFile = join(dir, 'status.json');
  return { statusFile, marker: readyMarkerPath(statusFile) };
}

const quietIo = (): StatusCommandIo & { text: () => string } => {
  const lines: string[] = [];
  return { out: (t) => void lines.push(t), err: (t) => void lines.push(t), now: () => Date.now(), text: () => lines.join('') };
};

/** A node process that becomes ready through StatusTracker, then dies by SIGKILL: no exit handler runs. */
function crashAfterReady(statusFile: string): void {
  const script = [
    `import { StatusTracker } from ${JSON.stringify(new URL('./tracker.ts', import.meta.url).href)};`,
    `const t = new StatusTracker(${JSON.stringify(statusFile)});`,
    "for (const p of ['starting-daemon', 'pulling', 'creating', 'ready']) t.enter(p);",
    "process.kill(process.pid, 'SIGKILL');",
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', `the child should have killed itself: ${child.stderr}`);
}

describe('ready marker', () => {
  it('is there only while ready, and the shell probe says so', () => {
    const { statusFile, marker } = statusDir('live');
    const tracker = new StatusTracker(statusFile);
    assert.equal(probe(marker), 'not ready', 'no marker before ready');
    for (const phase of ['starting-daemon', 'pulling', 'creating', 'bootstrapping'] as const) {
      tracker.enter(phase);
      assert.equal(probe(marker), 'not ready', `not ready while ${phase}`);
    }
    tracker.enter('ready');
    assert.equal(probe(marker), 0);
    assert.equal(readFileSync(marker, 'utf8'), `${process.pid} ${processStartTime()}\n`);
    tracker.enter('stopping');
    assert.equal(existsSync(marker), false, 'stopping removes the marker');
    assert.equal(probe(marker), 'not ready');
  });

  it('a failure and an orderly exit remove it', () => {
    const { statusFile, marker } = statusDir('failed');
    const tracker = new StatusTracker(statusFile);
    tracker.enter('ready');
    tracker.fail('the workspace container exited with code 1');
    assert.equal(existsSync(marker), false);
    tracker.enter('ready');
    tracker.release();
    assert.equal(probe(marker), 'not ready');
  });

  it('a crashed envbox (SIGKILL while ready) leaves a marker that the probe and `envbox status` refuse', async () => {
    const { statusFile, marker } = statusDir('crashed');
    crashAfterReady(statusFile);
    assert.equal(existsSync(marker), true, 'SIGKILL gives no chance to remove it: the check must not need that');
    assert.equal(probe(marker), 'not ready');
    const io = quietIo();
    assert.equal(await runStatusCommand(['--file', statusFile], {}, io), 1);
    assert.match(io.text(), /envbox: ready/);
    assert.match(io.text(), /is no longer running: the status is stale, not ready/);
  });

  it('a restarted envbox with the same pid (a fresh container) is not taken for the old one', async () => {
    const { statusFile, marker } = statusDir('restarted');
    // What the old run left: this very pid, but a start time that is not this process's.
    writeFileSync(marker, `${process.pid} 1\n`);
    assert.equal(probe(marker), 'not ready', 'same pid, other start time: not ready');
    writeFileSync(statusFile, JSON.stringify({
      phase: 'ready', containerId: 'old', durationsMs: {}, startedAt: '2026-11-28T10:00:00.000Z', phaseStartedAt: '2026-11-28T10:00:00.000Z',
      updatedAt: '2026-11-28T10:00:00.000Z', readyAt: '2026-11-28T10:00:00.000Z', lastError: null, pid: process.pid, pidStartTime: '1',
    }));
    assert.equal(await runStatusCommand(['--file', statusFile], {}, quietIo()), 1);
    // The new run's tracker removes the old marker before anything else.
    new StatusTracker(statusFile);
    assert.equal(existsSync(marker), false);
  });

  it('reads the start time after the last ")" of /proc/PID/stat, whatever the command name', () => {
    const own = readFileSync('/proc/self/stat', 'utf8');
    assert.equal(processStartTime(), own.slice(own.lastIndexOf(')') + 2).split(' ')[19]);
    assert.equal(processStartTime(2 ** 22 + 1), undefined, 'a pid above pid_max is never running');
  });
});
