/**
 * Text that the image or the workspace controls (a passwd home, what an exec printed) may hold
 * terminal escape sequences: printed raw to a human's terminal, they can set its title, clear it,
 * or write its clipboard (OSC 52). Every C0 and C1 control character, and DEL, is written as a
 * visible `\xNN` instead. Backslashes are kept as they are, so escaping twice changes nothing.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

interface EscapeOptions {
  /** Keep newlines and tabs: for multi-line text meant for humans. Single-line fields keep neither. */
  keepLayout?: boolean;
}

export function escapeControlCharacters(text: string, { keepLayout = false }: EscapeOptions = {}): string {
  return text.replace(CONTROL, (char) => {
    if (keepLayout && (char === '\n' || char === '\t')) return char;
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * At most `maxChars` of `text`, cut where the cut cannot split a surrogate pair, with how much was
 * left off: for quoting output a workspace controls in an error, which lands in a status file.
 */
export function quoteBounded(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}... (${text.length - end} more characters)`;
}
