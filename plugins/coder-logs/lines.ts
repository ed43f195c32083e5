import type { BuildLogEntry } from 'envbox';

/** coderd stores `output` as varchar(1024); a longer line fails the whole batch with a 500. */
export const MAX_LINE_CHARS = 1024;

type CoderLogLevel = 'info' | 'error';

export interface CoderLog {
  created_at: string;
  output: string;
  level: CoderLogLevel;
}

const REPLACEMENT = '\uFFFD';
// Postgres refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8: either fails the batch.
const UNSENDABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function sanitizeOutput(text: string): string {
  return text.replace(UNSENDABLE, REPLACEMENT);
}

/**
 * Cuts `text` into pieces of at most `max` UTF-16 code units, never between the two halves of a
 * surrogate pair. Counting code units is stricter than coderd's count of characters, so every piece fits.
 */
export function splitOutput(text: string, max = MAX_LINE_CHARS): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** The coderd logs for one build-log entry: none for an empty `done`, several for a long line. */
export function toCoderLogs(entry: BuildLogEntry, now: () => Date): CoderLog[] {
  if (entry.type === 'done' && entry.output === '') return [];
  const level: CoderLogLevel = entry.type === 'error' ? 'error' : 'info';
  const created_at = validTime(entry.time) ?? now().toISOString();
  return splitOutput(sanitizeOutput(entry.output)).map((output) => ({ created_at, output, level }));
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** RFC 3339, as coderd's JSON decoder wants it, whatever form the entry's time came in. */
function validTime(time: string): string | undefined {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
