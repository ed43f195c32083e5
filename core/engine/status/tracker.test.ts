import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { readStatus, StatusTracker } from './tracker.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-status-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A clock the test moves by hand. */
function clock(startMs = Date.parse('2026-11-28T10:00:00.000Z')) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => { nowMs += ms; } };
}

function startedTracker(path: string | null) {
  const time = clock();
  const tracker = new StatusTracker(path, time.now);
  tracker.enter('starting-daemon');
  time.advance(700);
  tracker.enter('pulling');
  time.advance(1100);
  tracker.enter('creating');
  tracker.setContainerId('3f2a1b');
  time.advance(400);
  tracker.enter('bootstrapping');
  time.advance(1000);
  return { tracker, time };
}

describe('StatusTracker', () => {
  it('writes each phase to the status file, creating its directory, with per-phase timings', async () => {
    const path = join(root, 'run', 'envbox', 'status.json');
    const { tracker } = startedTracker(path);
    tracker.enter('ready');

    const status = await readStatus(path);
    assert.equal(status.phase, 'ready');
    assert.equal(status.containerId, '3f2a1b');
    assert.deepEqual(status.durationsMs, { 'starting-daemon': 700, pulling: 1100, creating: 400, bootstrapping: 1000 });
    assert.equal(status.startedAt, '2026-11-28T10:00:00.000Z');
    assert.equal(status.readyAt, '2026-11-28T10:00:03.200Z');
    assert.equal(status.lastError, null);
    assert.equal(status.pid, process.pid);
    assert.deepEqual(readdirSync(join(root, 'run', 'envbox')).sort(), ['ready', 'status.json'], 'the ready marker, and no temporary file left behind');
  });

  it('summarises the start in one line', () => {
    const { tracker, time } = startedTracker(null);
    tracker.enter('ready');
    time.advance(60_000);
    assert.equal(tracker.summary(), 'ready in 3.2 s: daemon 0.7 s, pull 1.1 s, create 0.4 s, bootstrap 1.0 s');
    tracker.enter('stopping');
    assert.equal(tracker.summary(), 'ready in 3.2 s: daemon 0.7 s, pull 1.1 s, create 0.4 s, bootstrap 1.0 s');
  });

  it('summarises a start that failed half way, counting the phase it failed in', () => {
    const time = clock();
    const tracker = new StatusTracker(null, time.now);
    tracker.enter('starting-daemon');
    time.advance(700);
    tracker.enter('pulling');
    time.advance(3300);
    tracker.fail('manifest unknown');
    assert.equal(tracker.summary(), 'failed after 4.0 s: daemon 0.7 s, pull 3.3 s');
    assert.equal(tracker.snapshot().lastError, 'manifest unknown');
    assert.equal(tracker.snapshot().phase, 'failed');
  });

  it('adds up a phase entered twice', () => {
    const time = clock();
    const tracker = new StatusTracker(null, time.now);
    tracker.enter('starting-daemon');
    time.advance(500);
    tracker.enter('pulling');
    time.advance(100);
    tracker.enter('starting-daemon');
    time.advance(250);
    tracker.enter('pulling');
    assert.equal(tracker.snapshot().durationsMs['starting-daemon'], 750);
  });

  it('never throws when the file cannot be written, and logs that once at debug', () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, '');
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } });
    const tracker = new StatusTracker(join(blocker, 'status.json'), Date.now, logger);
    assert.doesNotThrow(() => {
      tracker.enter('starting-daemon');
      tracker.enter('pulling');
      tracker.fail('boom');
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /could not write the status file/);
  });

  it('never writes through a link planted at a temp name, in a directory the workspace can write', async () => {
    // The status file's directory in the home volume: the user knows envbox's pid (often 1) and plants
    // links at the names a predictable temp file would have, to root-only files elsewhere.
    const home = join(root, 'home-volume');
    const elsewhere = join(root, 'root-only');
    mkdirSync(home);
    mkdirSync(elsewhere);
    const shadow = join(elsewhere, 'shadow');
    const other = join(elsewhere, 'other');
    writeFileSync(shadow, 'root:$6$hash:19000:0:99999:7:::\n', { mode: 0o600 });
    writeFileSync(other, 'precious\n', { mode: 0o600 });
    const path = join(home, 'status.json');
    symlinkSync(shadow, `${path}.${process.pid}.tmp`);
    symlinkSync(other, join(home, `ready.${process.pid}.tmp`));

    const tracker = new StatusTracker(path);
    tracker.enter('starting-daemon');
    tracker.enter('ready');

    assert.equal(readFileSync(shadow, 'utf8'), 'root:$6$hash:19000:0:99999:7:::\n');
    assert.equal(readFileSync(other, 'utf8'), 'precious\n');
    assert.equal((await readStatus(path)).phase, 'ready');
    assert.match(readFileSync(join(home, 'ready'), 'utf8'), new RegExp(`^${process.pid} `));
    assert.ok(lstatSync(path).isFile());
    // Only what envbox wrote and what the user planted: no temp file of envbox's is left behind.
    assert.deepEqual(readdirSync(home).sort(), [`ready`, `ready.${process.pid}.tmp`, 'status.json', `status.json.${process.pid}.tmp`].sort());
  });
});

describe('readStatus', () => {
  it('says which file is missing', async () => {
    await assert.rejects(readStatus(join(root, 'nope.json')), /no status file at .*nope\.json/);
  });

  it('refuses a file that is not JSON, or JSON of another shape', async () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'text.json'), 'ready');
    writeFileSync(join(dir, 'shape.json'), JSON.stringify({ phase: 'dancing' }));
    await assert.rejects(readStatus(join(dir, 'text.json')), /is not JSON/);
    await assert.rejects(readStatus(join(dir, 'shape.json')), /is not an envbox status: phase/);
  });

  it('reports an unreadable file, as root too: a directory at the path', async () => {
    const path = join(root, 'a-directory.json');
    mkdirSync(path);
    await assert.rejects(readStatus(path), /cannot read the status file .*a-directory\.json: it is a directory, not a regular file/);
  });

  it('refuses a FIFO at the path without waiting for a writer, and a device without reading it', async () => {
    const fifo = join(root, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readStatus(fifo), /cannot read the status file .*fifo\.json: it is a FIFO, not a regular file/);
    await assert.rejects(readStatus('/dev/zero'), /it is a character device, not a regular file/);
  });
});
