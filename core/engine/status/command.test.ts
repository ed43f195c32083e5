import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStatusCommand, type StatusCommandIo } from './command.js';
import { StatusTracker, type Phase } from './tracker.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-status-cmd-'));
after(() => rmSync(root, { recursive: true, force: true }));

function captured(nowMs = Date.parse('2026-11-28T10:00:05.000Z')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: StatusCommandIo = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, now: () => nowMs };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

function statusFileIn(name: string, phases: Phase[], error?: string): string {
  const path = join(root, name, 'status.json');
  let nowMs = Date.parse('2026-11-28T10:00:00.000Z');
  const tracker = new StatusTracker(path, () => nowMs);
  for (const phase of phases) {
    tracker.enter(phase);
    nowMs += 1000;
  }
  tracker.setContainerId('3f2a1b');
  if (error) tracker.fail(error);
  return path;
}

describe('envbox status', () => {
  it('exits 0 and prints a readable summary when ready', async () => {
    const path = statusFileIn('ready', ['starting-daemon', 'pulling', 'creating', 'bootstrapping', 'ready']);
    const run = captured();
    assert.equal(await runStatusCommand(['--file', path], {}, run.io), 0);
    assert.match(run.out(), /^envbox: ready \(for 1\.0 s\)\n/);
    assert.match(run.out(), /timings +ready in 4\.0 s: daemon 1\.0 s, pull 1\.0 s, create 1\.0 s, bootstrap 1\.0 s/);
    assert.match(run.out(), /container +3f2a1b/);
  });

  it('exits 1 while still starting', async () => {
    const path = statusFileIn('pulling', ['starting-daemon', 'pulling']);
    const run = captured();
    assert.equal(await runStatusCommand([`--file=${path}`], {}, run.io), 1);
    assert.match(run.out(), /^envbox: pulling/);
  });

  it('exits 1 after a failure and shows the last error', async () => {
    const path = statusFileIn('failed', ['starting-daemon', 'pulling'], 'pull failed: manifest unknown');
    const run = captured();
    assert.equal(await runStatusCommand(['--file', path], {}, run.io), 1);
    assert.match(run.out(), /last error +pull failed: manifest unknown/);
  });

  it('prints the file as JSON with --json, finding it through ENVBOX_STATUS_FILE', async () => {
    const path = statusFileIn('json', ['starting-daemon', 'ready']);
    const run = captured();
    assert.equal(await runStatusCommand(['--json'], { ENVBOX_STATUS_FILE: path }, run.io), 0);
    const printed = JSON.parse(run.out());
    assert.equal(printed.phase, 'ready');
    assert.equal(printed.containerId, '3f2a1b');
  });

  it('exits 1 with a clear message when the file is missing or not a status', async () => {
    const missing = captured();
    assert.equal(await runStatusCommand(['--file', join(root, 'absent.json')], {}, missing.io), 1);
    assert.match(missing.err(), /no status file at .*absent\.json.*ENVBOX_STATUS_FILE/);

    const garbage = join(root, 'garbage.json');
    writeFileSync(garbage, '{"phase":"ready"}');
    const bad = captured();
    assert.equal(await runStatusCommand(['--file', garbage], {}, bad.io), 1);
    assert.match(bad.err(), /not an envbox status/);
  });

  it('exits 2 on an unknown flag or a stray argument, and prints usage', async () => {
    for (const argv of [['--jsn'], ['extra'], ['--file']]) {
      const run = captured();
      assert.equal(await runStatusCommand(argv, {}, run.io), 2, argv.join(' '));
      assert.match(run.err(), /Usage: envbox status/);
    }
  });

  it('prints usage with --help and exits 0', async () => {
    const run = captured();
    assert.equal(await runStatusCommand(['--help'], {}, run.io), 0);
    assert.match(run.out(), /Usage: envbox status \[--json\] \[--file PATH\]/);
  });
});
