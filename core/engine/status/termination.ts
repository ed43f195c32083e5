import { writeFileSync } from 'node:fs';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

/**
 * Writes the reason the pod stopped where Kubernetes shows it (`kubectl describe pod`). Best
 * effort: it runs while envbox is already failing, so it must not add an error of its own.
 */
export function writeTerminationMessage(path: string, text: string): boolean {
  try {
    writeFileSync(path, truncateUtf8(text, TERMINATION_MESSAGE_LIMIT));
    return true;
  } catch {
    return false;
  }
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without cutting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}
