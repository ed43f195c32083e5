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
 * `maxLineBytes`, whatever the stream holds, so a hostile file costs a bounded read. With `prefix`,
 * only lines that start with it are decoded and handed on. Leaving early ends the source's
 * iteration, which closes it.
 */
export async function scanLines(source: AsyncIterable<Buffer>, limits: LineLimits, onLine: (line: string) => boolean, prefix = ''): Promise<ScanEnd> {
  const wanted = Buffer.from(prefix);
  // The start of a line that began in an earlier chunk; null once it is known to be too long.
  let carried: Buffer[] | null = [];
  let carriedBytes = 0;
  let read = 0;
  const deliver = (line: Buffer): boolean => {
    if (line.length > limits.maxLineBytes) return false;
    if (wanted.length > 0 && (line.length < wanted.length || wanted.compare(line, 0, wanted.length) !== 0)) return false;
    return onLine(line.toString('utf8'));
  };
  const carry = (piece: Buffer) => {
    if (carried === null || piece.length === 0) return;
    carriedBytes += piece.length;
    if (carriedBytes > limits.maxLineBytes) carried = null;
    else carried.push(piece);
  };
  const carriedLine = (tail: Buffer): Buffer | null => {
    const whole = carried === null ? null : carried.length === 0 ? tail : Buffer.concat([...carried, tail]);
    carried = [];
    carriedBytes = 0;
    return whole;
  };
  for await (const raw of source) {
    const chunk = read + raw.length > limits.maxBytes ? raw.subarray(0, limits.maxBytes - read) : raw;
    read += chunk.length;
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      const line = start === 0 ? carriedLine(chunk.subarray(0, at)) : chunk.subarray(start, at);
      start = at + 1;
      if (line !== null && deliver(line)) return 'stopped';
    }
    carry(chunk.subarray(start));
    if (read >= limits.maxBytes) return 'capped';
  }
  const last = carriedLine(Buffer.alloc(0));
  if (last !== null && last.length > 0 && deliver(last)) return 'stopped';
  return 'ended';
}
