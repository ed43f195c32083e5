import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LINE_CHARS, sanitizeOutput, splitOutput, toCoderLogs } from './lines.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('splitOutput', () => {
  it('leaves a line of exactly 1024 characters whole', () => {
    assert.deepEqual(splitOutput('a'.repeat(MAX_LINE_CHARS)), ['a'.repeat(MAX_LINE_CHARS)]);
  });

  it('cuts a long line into pieces of at most 1024 characters, in order', () => {
    const pieces = splitOutput('a'.repeat(1000) + 'b'.repeat(1000) + 'c'.repeat(1000));
    assert.deepEqual(pieces.map((p) => p.length), [1024, 1024, 952]);
    assert.equal(pieces.join(''), 'a'.repeat(1000) + 'b'.repeat(1000) + 'c'.repeat(1000));
  });

  it('never cuts an emoji that straddles the boundary in half', () => {
    const text = `${'a'.repeat(1023)}😀b`;
    const pieces = splitOutput(text);
    assert.deepEqual(pieces, ['a'.repeat(1023), '😀b']);
  });

  it('keeps every piece well-formed for a line made only of emoji', () => {
    const text = '😀'.repeat(1500);
    const pieces = splitOutput(text);
    assert.equal(pieces.join(''), text);
    for (const piece of pieces) {
      assert.ok(piece.length <= MAX_LINE_CHARS);
      assert.doesNotMatch(piece, LONE_SURROGATE);
    }
  });
});

describe('sanitizeOutput', () => {
  it('replaces NUL bytes with U+FFFD', () => {
    assert.equal(sanitizeOutput('a\u0000b\u0000'), 'a\uFFFDb\uFFFD');
  });

  it('replaces lone surrogates, which cannot be encoded as UTF-8', () => {
    assert.equal(sanitizeOutput('x\uD800y'), 'x\uFFFDy');
    assert.equal(sanitizeOutput('x\uDC00'), 'x\uFFFD');
    assert.equal(sanitizeOutput('\uDE00\uD83D'), '\uFFFD\uFFFD');
  });

  it('keeps valid text, emoji included, unchanged', () => {
    assert.equal(sanitizeOutput('pull ✓ 😀 done'), 'pull ✓ 😀 done');
  });
});

describe('toCoderLogs', () => {
  const now = () => new Date('2026-01-01T00:00:00.000Z');

  it('maps error entries to level error and the rest to info, keeping the entry time', () => {
    const time = '2026-11-28T10:00:00.123Z';
    assert.deepEqual(toCoderLogs({ output: 'boom', time, type: 'error' }, now), [{ created_at: time, output: 'boom', level: 'error' }]);
    assert.deepEqual(toCoderLogs({ output: 'ready', time, type: 'done' }, now), [{ created_at: time, output: 'ready', level: 'info' }]);
  });

  it('skips an empty done entry', () => {
    assert.deepEqual(toCoderLogs({ output: '', time: now().toISOString(), type: 'done' }, now), []);
  });

  it('falls back to the current time when the entry time is not a date', () => {
    assert.equal(toCoderLogs({ output: 'x', time: 'yesterday', type: 'info' }, now)[0]?.created_at, '2026-01-01T00:00:00.000Z');
  });

  it('sanitizes before splitting, so a long line with NULs yields clean pieces', () => {
    const logs = toCoderLogs({ output: '\u0000'.repeat(2000), time: now().toISOString(), type: 'info' }, now);
    assert.deepEqual(logs.map((l) => l.output), ['\uFFFD'.repeat(1024), '\uFFFD'.repeat(976)]);
  });
});
