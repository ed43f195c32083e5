export interface LineLimits {
  /** Bytes read in all before giving up; the source is closed there. */
  maxBytes: number;
  /** A longer line is skipped whole, never held in memory. */
  maxLineBytes: number;
}

type ScanEnd = 'stopped' | 'ended' | 'capped';

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

/** One line of a stream read by `boundedLines`; `cut` when it went on past the limit and the rest was dropped. */
export interface BoundedLine {
  text: string;
  cut: boolean;
}

/**
 * The lines of a byte stream, each at most `maxLineBytes`: a longer line is handed on cut at the
 * limit (at a character boundary) as soon as the limit is reached, and the rest of it, up to the
 * next newline, is dropped as it arrives. Memory stays within one line of `maxLineBytes`, however
 * long a line the stream's writer makes. Newlines are "\n"; a "\r" before one is dropped too.
 */
export async function* boundedLines(source: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<BoundedLine> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  // Set while the rest of a cut line is being dropped.
  let skipping = false;
  const take = (tail: Buffer): Buffer => {
    const whole = held.length === 0 ? tail : Buffer.concat([...held, tail]);
    held = [];
    heldBytes = 0;
    return whole;
  };
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (skipping) {
        if (newline !== -1) skipping = false;
      } else if (heldBytes + (end - start) > maxLineBytes) {
        const line = take(chunk.subarray(start, start + (maxLineBytes - heldBytes)));
        yield { text: line.subarray(0, wholeCharacters(line)).toString('utf8'), cut: true };
        skipping = newline === -1;
      } else if (newline !== -1) {
        yield { text: withoutCarriageReturn(take(chunk.subarray(start, end))).toString('utf8'), cut: false };
      } else {
        held.push(chunk.subarray(start, end));
        heldBytes += end - start;
      }
      start = end + 1;
    }
  }
  if (heldBytes > 0) yield { text: withoutCarriageReturn(take(Buffer.alloc(0))).toString('utf8'), cut: false };
}

/** The length of `bytes` without a UTF-8 character that the cut left incomplete at its end. */
function wholeCharacters(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return size > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

/**
 * Reads a stream to its end, keeping its first `maxBytes`; the rest is read and dropped, so the
 * writer is never blocked and memory stays bounded. `truncated` says whether anything was dropped.
 */
export async function readCapped(source: AsyncIterable<Buffer | string>, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let truncated = false;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const room = maxBytes - keptBytes;
    if (chunk.length > room) truncated = true;
    if (room <= 0) continue;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A copy: a slice would keep the stream's whole chunk alive.
    kept.push(Buffer.from(piece));
    keptBytes += piece.length;
  }
  return { bytes: Buffer.concat(kept), truncated };
}
