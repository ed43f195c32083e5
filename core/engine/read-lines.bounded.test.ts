import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedLines, readCapped, type BoundedLine } from './read-lines.js';

async function* chunked(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Buffer>, max: number): Promise<BoundedLine[]> {
  const seen: BoundedLine[] = [];
  for await (const line of boundedLines(source, max)) seen.push(line);
  return seen;
}

describe('boundedLines', () => {
  it('gives the same lines whatever the chunk size, CRLF and a last line without newline included', async () => {
    const text = 'one\r\ntwo\n\nthree';
    for (const size of [1, 2, 3, 5, 100]) {
      assert.deepEqual((await collect(chunked(text, size), 16)).map((l) => l.text), ['one', 'two', '', 'three'], `chunk size ${size}`);
    }
  });

  it('cuts a long line at the limit, drops its rest, and goes on with the next line', async () => {
    const text = `${'x'.repeat(50)}\nshort\n${'y'.repeat(11)}`;
    for (const size of [1, 7, 64]) {
      assert.deepEqual(await collect(chunked(text, size), 10), [
        { text: 'x'.repeat(10), cut: true }, { text: 'short', cut: false }, { text: 'y'.repeat(10), cut: true },
      ], `chunk size ${size}`);
    }
  });

  it('never cuts inside a UTF-8 character', async () => {
    const lines = await collect(chunked(`${'é'.repeat(20)}\n`, 3), 9);
    assert.deepEqual(lines, [{ text: 'éééé', cut: true }]);
  });

  it('hands on the cut start of an endless line at once, and holds no more than the limit while the rest streams past', async () => {
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 65_536;
        yield Buffer.alloc(65_536, 0x61);
      }
    }
    const lines = boundedLines(endless(), 1_000);
    const first = await lines.next();
    assert.deepEqual(first.value, { text: 'a'.repeat(1_000), cut: true });
    assert.equal(produced, 65_536, 'the cut line came with the first chunk, before the line ended');
    await lines.return(undefined);
  });
});

describe('readCapped', () => {
  it('keeps the first bytes, reads the rest to the end and says it was cut', async () => {
    const result = await readCapped(chunked('abcdefghij', 3), 4);
    assert.equal(result.bytes.toString(), 'abcd');
    assert.equal(result.truncated, true);
    assert.deepEqual(await readCapped(chunked('abc', 2), 4), { bytes: Buffer.from('abc'), truncated: false });
  });
});
