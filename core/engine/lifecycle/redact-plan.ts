import type { OptionValues } from '../../kernel/inputs/options.js';
import { REDACTED } from '../../kernel/inputs/options.js';
import { userinfoOf } from '../../kernel/inputs/url-userinfo.js';

/** What marks an env entry as secret, whatever the length of its value. */
export interface SecretFields {
  /** Env vars of the secret inputs: CODER_AGENT_TOKEN, CODER_IMAGE_PULL_SECRET, a site's own. */
  names: ReadonlySet<string>;
  /** The secret values themselves: an entry whose whole value is one is secret under any name. */
  values: ReadonlySet<string>;
}

export function secretFieldsOf(options: OptionValues): SecretFields {
  return { names: new Set(options.secretEnvNames()), values: new Set(options.secretValues()) };
}

const SCHEME_CHAR = /^[a-z0-9+.-]$/i;
const LETTER = /^[a-z]$/i;
/** Where Go's net/url ends an authority, and where a value's words end (a password has no space in it). */
const AUTHORITY_END = /^[/?#\s]$/;

/** Where the scheme ending at `colon` starts (a letter, then letters, digits, '+', '-', '.'), not before `floor`; -1 when none. */
function schemeStart(value: string, colon: number, floor: number): number {
  let start = colon;
  while (start > floor && SCHEME_CHAR.test(value[start - 1]!)) start--;
  while (start < colon && !LETTER.test(value[start]!)) start++;
  return start < colon ? start : -1;
}

/**
 * `scheme://user:password@host`: the password of each URL in the value (a proxy's, say) is a
 * credential. As in Go's net/url, the user name ends at the first ':' and the password at the LAST
 * '@' before the host's '/', '?' or '#', so a password with an '@' in it is hidden whole. One pass:
 * each "://" is found once and each URL's authority is read by the anchored `userinfoOf`, so the
 * work grows with the value's length (an unanchored pattern backtracked quadratically on long values).
 */
function redactUrlPasswords(value: string): string {
  let out = '';
  let copied = 0;
  for (let colon = value.indexOf('://'); colon >= 0;) {
    let end = colon + 3;
    while (end < value.length && !AUTHORITY_END.test(value[end]!)) end++;
    const start = schemeStart(value, colon, copied);
    const userinfo = start < 0 ? null : userinfoOf(value.slice(start, end));
    const userEnd = userinfo === null ? -1 : userinfo.indexOf(':');
    if (userinfo !== null && userEnd >= 0) {
      out += `${value.slice(copied, colon + 3 + userEnd + 1)}${REDACTED}`;
      copied = colon + 3 + userinfo.length;
    }
    // The next "://" cannot start inside this authority, which ends at its first '/': at end - 1 at the earliest.
    colon = value.indexOf('://', end - 1);
  }
  return out + value.slice(copied);
}

/** One env value as the plan prints it: redacted by the field it is in, not by how long it is. */
export function redactEnvValue(name: string, value: string, secrets: SecretFields): string {
  if (value === '') return value;
  if (secrets.names.has(name) || secrets.values.has(value)) return REDACTED;
  return redactUrlPasswords(value);
}

/** A ContainerCreate `Env` list (`NAME=value`). */
export function redactEnvList(env: readonly string[] | undefined, secrets: SecretFields): string[] | undefined {
  return env?.map((entry) => {
    const eq = entry.indexOf('=');
    if (eq < 0) return entry;
    const name = entry.slice(0, eq);
    return `${name}=${redactEnvValue(name, entry.slice(eq + 1), secrets)}`;
  });
}

/** An env record (dockerd's added env). */
export function redactEnvRecord(env: Readonly<Record<string, string>>, secrets: SecretFields): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, redactEnvValue(name, value, secrets)]));
}
