import { Transform, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 8;

/**
 * Docker's multiplexed exec stream (8-byte frame headers: stream type, then the payload length),
 * stdout and stderr merged, as a Transform: unlike dockerode's demuxStream, which writes without
 * waiting, it passes backpressure on, so a process that prints faster than envbox reads is slowed
 * down in its own write() instead of growing envbox's memory. A payload is handed on piece by
 * piece as it arrives, never gathered whole. A stream that is not multiplexed (a TTY) is passed
 * through as it is, as dockerode does.
 */
export class ExecOutputDemux extends Transform {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private payloadLeft = 0;
  private raw = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.raw) {
        this.push(chunk.subarray(at));
        break;
      }
      if (this.payloadLeft > 0) {
        const piece = chunk.subarray(at, at + Math.min(this.payloadLeft, chunk.length - at));
        this.payloadLeft -= piece.length;
        at += piece.length;
        this.push(piece);
        continue;
      }
      const copied = chunk.copy(this.header, this.headerBytes, at, at + (HEADER_BYTES - this.headerBytes));
      this.headerBytes += copied;
      at += copied;
      if (this.headerBytes < HEADER_BYTES) break;
      this.headerBytes = 0;
      const type = this.header.readUInt8(0);
      if (type > 2) {
        this.raw = true;
        this.push(Buffer.from(this.header));
        continue;
      }
      this.payloadLeft = this.header.readUInt32BE(4);
    }
    done();
  }
}
