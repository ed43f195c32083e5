import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { ExecOutputDemux } from './demux.js';

function frame(type: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

async function demuxed(bytes: Buffer, chunkSize: number): Promise<string> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new ExecOutputDemux(), new Writable({ write(chunk: Buffer, _e, done) { out.push(chunk); done(); } }));
  return Buffer.concat(out).toString();
}

describe('ExecOutputDemux', () => {
  it('merges stdout and stderr frames in order, whatever the chunk size', async () => {
    const stream = Buffer.concat([frame(1, 'hello '), frame(2, 'err '), frame(1, 'world\n'), frame(1, '')]);
    for (const size of [1, 3, 8, 9, 1000]) assert.equal(await demuxed(stream, size), 'hello err world\n', `chunk size ${size}`);
  });

  it('passes a stream that is not multiplexed (a TTY) through as it is', async () => {
    assert.equal(await demuxed(Buffer.from('plain text output\n'), 4), 'plain text output\n');
  });

  it('passes backpressure on: a reader that does not read stops the writer instead of filling memory', async () => {
    const demux = new ExecOutputDemux();
    const payload = 'z'.repeat(16_384);
    let accepted = 0;
    while (demux.write(frame(1, payload))) accepted += 1;
    assert.ok(accepted < 64, `write() asked the writer to wait after ${accepted} frames of 16 KiB`);
    demux.destroy();
  });
});
