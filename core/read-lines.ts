export interface LineLimits {
  /** Bytes read in all before giving up; the source is closed there. */
  maxBytes: number;
  /** A longer line is skipped whole, never held in memory. */
  maxLineBytes: number;
}

export type ScanEnd = 'stopped' | 'ended' | 'capped';

const NEWLINE = 0x0a;

/**
 * Hands each line of a byte stream to `onLine` until it returns true ('stopped'), the stream ends
 * ('ended'), or `maxBytes` have been read ('capped'). Memory stays within one line of at most
 * `maxLineBytes`, whatever the stream holds, so a hostile file costs a bounded read. Leaving early
 * ends the source's iteration, which closes it.
 */
export async function scanLines(source: AsyncIterable<Buffer>, limits: LineLimits, onLine: (line: string) => boolean): Promise<ScanEnd> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let read = 0;
  const finishLine = (): boolean => {
    const line = overlong ? null : Buffer.concat(pending, pendingBytes).toString('utf8');
    pending = [];
    pendingBytes = 0;
    overlong = false;
    return line !== null && onLine(line);
  };
  const keep = (piece: Buffer) => {
    if (overlong || piece.length === 0) return;
    if (pendingBytes + piece.length > limits.maxLineBytes) {
      overlong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(piece);
    pendingBytes += piece.length;
  };
  for await (const raw of source) {
    const chunk = read + raw.length > limits.maxBytes ? raw.subarray(0, limits.maxBytes - read) : raw;
    read += chunk.length;
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, at));
      start = at + 1;
      if (finishLine()) return 'stopped';
    }
    keep(chunk.subarray(start));
    if (read >= limits.maxBytes) return 'capped';
  }
  if (pendingBytes > 0 && finishLine()) return 'stopped';
  return 'ended';
}
