import { escapeControlCharacters } from './control-chars.js';

/**
 * The one list of secret values that no output may contain. The build log and the debug logger
 * share it, so a secret a plugin learns late (a password read from CODER_DOCKER_CONFIG) is hidden
 * from both at once.
 */
export class SecretScrubber {
  private secrets: string[] = [];

  /**
   * Short values are skipped: hiding "abc" everywhere would garble every line and hide nothing.
   * (`plan` hides short secrets anyway: it redacts the fields that hold them, whatever their length.)
   */
  add(values: readonly string[]): void {
    const forms = values.filter((v) => v.length >= 4).flatMap(writtenForms);
    // Longest first, so that a form that contains another is replaced whole.
    this.secrets = [...new Set([...this.secrets, ...forms])].sort((a, b) => b.length - a.length);
  }

  /** Replaces each secret, in every form it is written in (see writtenForms), with `[redacted]`. */
  scrub(text: string): string {
    let out = text;
    for (const form of this.secrets) out = out.split(form).join('[redacted]');
    return out;
  }
}

/**
 * The ways a secret reaches output:
 * - as it is, with its control characters escaped for a terminal (`envbox status`, the failure paragraph), or percent-encoded in a URL (as encodeURIComponent, Go's url.UserPassword and WHATWG's URL write it);
 * - inside a JSON string, as JSON.stringify writes it or as Go's encoding/json does (`\u0026` for &,
 *   `\u003c` for <, `\u003e` for >: dockerd's and the agent's logs);
 * - inside a second layer of quoting: JSON in JSON (a docker config in the plan's Env), or logrus's
 *   `msg="..."` around JSON (dockerd at debug level logs request bodies that way);
 * - as base64 or base64url (an X-Registry-Auth header, a basic-auth value), padded or not, whole
 *   or inside a longer base64 value.
 */
export function writtenForms(secret: string): string[] {
  const quotedOnce = [secret, jsonEscaped(secret), goJsonEscaped(secret), escapeControlCharacters(secret)];
  const quoted = quotedOnce.flatMap((form) => [form, jsonEscaped(form), goJsonEscaped(form), goQuoted(form)]);
  const percent = [percentEncoded(secret, URI_COMPONENT_KEPT), percentEncoded(secret, GO_USERINFO_KEPT), whatwgUserinfo(secret)];
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const base64url = Buffer.from(secret, 'utf8').toString('base64url');
  const inner = base64Inside(secret).flatMap((form) => [form, form.replace(/\+/g, '-').replace(/\//g, '_')]);
  return [...new Set([...quoted, ...percent, base64, base64.replace(/=+$/, ''), base64url, ...inner])].filter((form) => form.length >= 4);
}

/** Shorter cores could match by chance in any base64 text, and garble it. */
const MIN_BASE64_CORE = 8;

/**
 * The secret inside a longer base64 value (the password in `user:password`, in an X-Registry-Auth
 * JSON): its encoding depends on its byte offset mod 3, and the characters that straddle its first
 * and last bytes depend on its neighbours. So: for each offset, the characters that only the
 * secret's bytes determine.
 */
function base64Inside(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstOwn = Math.ceil((8 * offset) / 6);
    const endOwn = Math.floor((8 * (offset + bytes.length)) / 6);
    return encoded.slice(firstOwn, endOwn);
  }).filter((core) => core.length >= MIN_BASE64_CORE);
}

/** The inside of JSON.stringify's string. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** The inside of a string as Go's encoding/json writes it: HTML-safe, `\u00XX` for controls but \n \r \t. */
export function goJsonEscaped(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'; // a lone surrogate: Go writes invalid UTF-8 so
    else out += char;
  }
  return out;
}

const GO_QUOTE_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** The inside of Go's strconv.Quote (`%q`), which logrus uses for a field such as `msg="..."`. */
export function goQuoted(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const escape = GO_QUOTE_ESCAPES[char];
    if (escape !== undefined) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x80 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(char)) out += char;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

const URI_COMPONENT_KEPT = /[A-Za-z0-9\-_.!~*'()]/;
// Go's url.UserPassword escapes all but the unreserved characters and these sub-delims.
const GO_USERINFO_KEPT = /[A-Za-z0-9\-_.~$&+,;=]/;

/** UTF-8 bytes as `%XX` (upper-case hex), but the ASCII characters `kept`. */
function percentEncoded(text: string, kept: RegExp): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    return byte < 0x80 && kept.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** The password as WHATWG's URL writes it (what `new URL(...).href` shows). */
function whatwgUserinfo(text: string): string {
  const url = new URL('http://host');
  url.password = text;
  return url.password;
}
