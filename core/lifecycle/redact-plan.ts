import type { OptionValues } from '../inputs/options.js';
import { REDACTED } from '../inputs/options.js';

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

/**
 * `scheme://user:password@host`: the password in a URL (a proxy's, say) is a credential. As in Go's
 * net/url, the user name ends at the first ':' and the password at the LAST '@' before the host's
 * '/', '?' or '#', so a password with an '@' in it is hidden whole.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s]*:)[^/?#\s]*@/gi;

/** One env value as the plan prints it: redacted by the field it is in, not by how long it is. */
export function redactEnvValue(name: string, value: string, secrets: SecretFields): string {
  if (value === '') return value;
  if (secrets.names.has(name) || secrets.values.has(value)) return REDACTED;
  return value.replace(URL_PASSWORD, `$1${REDACTED}@`);
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
