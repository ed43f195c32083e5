import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanLines } from './read-lines.js';

async function* chunked(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const roomy = { maxBytes: 1 << 20, maxLineBytes: 1024 };

async function lines(source: AsyncIterable<Buffer>, limits = roomy) {
  const seen: string[] = [];
  const end = await scanLines(source, limits, (line) => { seen.push(line); return false; });
  return { seen, end };
}

describe('scanLines', () => {
  it('gives the same lines whatever the chunk size, a last line without newline included', async () => {
    const text = 'root:x:0:0::/root:/bin/sh\ncoder:x:1000:1000::/home/coder:/bin/sh\n\nlast';
    for (const size of [1, 3, 7, 64, 4096]) {
      assert.deepEqual(await lines(chunked(text, size)), { seen: text.split('\n'), end: 'ended' }, `chunks of ${size}`);
    }
  });

  it('decodes UTF-8 split across chunks', async () => {
    assert.deepEqual((await lines(chunked('zoë:ü\n', 1))).seen, ['zoë:ü']);
  });

  it('stops where the reader says, and closes the source there', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless() {
      try { for (;;) { pulled++; yield Buffer.from('a\nb\nstop\nc\n'); } } finally { closed = true; }
    }
    const seen: string[] = [];
    assert.equal(await scanLines(endless(), roomy, (line) => { seen.push(line); return line === 'stop'; }), 'stopped');
    assert.deepEqual(seen, ['a', 'b', 'stop']);
    assert.equal(pulled, 1);
    assert.ok(closed);
  });

  it('reads no more than maxBytes of an endless stream, then closes it', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless() {
      try { for (;;) { pulled += 1; yield Buffer.from('nobody:x:1:1::/:/bin/false\n'.repeat(100)); } } finally { closed = true; }
    }
    const { end } = await lines(endless(), { maxBytes: 100_000, maxLineBytes: 1024 });
    assert.equal(end, 'capped');
    assert.equal(pulled, Math.ceil(100_000 / 2700));
    assert.ok(closed);
  });

  it('skips a line longer than maxLineBytes without holding it, and reads the lines after it', async () => {
    async function* hostile() {
      yield Buffer.from('first\n');
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(64 * 1024, 0x41); // a 64 MiB line
      yield Buffer.from('\nafter\n');
    }
    assert.deepEqual(await lines(hostile(), { maxBytes: 1 << 30, maxLineBytes: 4096 }), { seen: ['first', 'after'], end: 'ended' });
  });
});

describe('scanLines with a prefix', () => {
  it('hands on only the lines that start with it, wherever the chunks split them', async () => {
    const text = 'root:x:0\ncoder2:x:2\ncoder:x:1000\nxcoder:x:3\ncoder:again';
    for (const size of [1, 4, 100]) {
      const seen: string[] = [];
      await scanLines(chunked(text, size), roomy, (line) => { seen.push(line); return false; }, 'coder:');
      assert.deepEqual(seen, ['coder:x:1000', 'coder:again'], `chunks of ${size}`);
    }
  });
});
