import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildLog, type BuildLogEntry } from './build-log.js';
import { SecretScrubber } from './scrub.js';

function capture() {
  const lines: BuildLogEntry[] = [];
  return { lines, stream: { write: (text: string) => { lines.push(JSON.parse(text) as BuildLogEntry); return true; } } };
}

const at = () => new Date('2026-01-01T00:00:00.000Z');

describe('BuildLog', () => {
  it('writes scrubbed JSON lines, and hands the listener the same entries, replaying those written before it was attached', () => {
    const { lines, stream } = capture();
    const secrets = new SecretScrubber();
    secrets.add(['hunter2-secret']);
    const log = new BuildLog(stream, at, secrets);
    log.info('early hunter2-secret');
    const seen: BuildLogEntry[] = [];
    log.attach({ call: (entry) => { seen.push(entry); } });
    log.error('late');
    assert.deepEqual(lines, [
      { output: 'early [redacted]', time: '2026-01-01T00:00:00.000Z', type: 'info' },
      { output: 'late', time: '2026-01-01T00:00:00.000Z', type: 'error' },
    ]);
    assert.deepEqual(seen, lines);
    assert.ok(Object.isFrozen(seen[0]), 'a listener cannot change what others receive');
  });

  it('reports a failing listener once per message as a warning line, and keeps logging', () => {
    const { lines, stream } = capture();
    const log = new BuildLog(stream, at);
    log.attach({ call: () => { throw new Error('plugin "fwd" failed in hook "buildLog": down'); } });
    log.info('one');
    log.info('two');
    assert.deepEqual(lines.map((l) => l.output), ['one', 'Warning: plugin "fwd" failed in hook "buildLog": down', 'two']);
  });

  it('does not feed a line a listener writes itself back into it', () => {
    const { lines, stream } = capture();
    const log = new BuildLog(stream, at);
    let calls = 0;
    log.attach({ call: () => { calls += 1; log.info('echo'); } });
    log.info('original');
    assert.equal(calls, 1);
    assert.deepEqual(lines.map((l) => l.output), ['original', 'echo']);
  });
});
