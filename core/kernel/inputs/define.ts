import type { z } from 'zod';

/**
 * One user input, reachable as an env var, a flag and a config-file key. The schema parses the
 * raw value (text from env and flags; text, number or boolean from a config file).
 */
export interface InputDef<T = unknown> {
  /** Config-file key, camelCase: `addFuse`. */
  key: string;
  /** Env var: `CODER_ADD_FUSE`. */
  env: string;
  /** Flag without dashes: `add-fuse`. */
  flag: string;
  schema: z.ZodType<T>;
  default?: T;
  required?: boolean;
  /**
   * The value never appears in logs, errors or plan output, and a CODER_INNER_ENVS pattern never
   * forwards its env var into the workspace.
   */
  secret?: boolean;
  /**
   * For a value that is public apart from some parts (the password in `http://user:pass@proxy:3128`),
   * or secret parts a secret value holds in another form (the password inside a base64 `auth`):
   * those parts are scrubbed like secrets.
   */
  secretParts?(value: T): string[];
  /** Other flag spellings accepted, e.g. coder/envbox's own names. */
  aliases?: string[];
  /** A boolean flag may be given bare (`--add-fuse`). */
  boolean?: boolean;
  description: string;
  /** A valid value, shown in errors and in docs/inputs.md. */
  example: string;
  /** The plugin or core module that owns it; set when the core collects inputs. */
  owner?: string;
}

type WithDefault<T> = InputDef<T> & { default: T };

export function defineInput<T>(def: WithDefault<T>): InputDef<T>;
export function defineInput<T>(def: InputDef<T> & { required: true }): InputDef<T>;
export function defineInput<T>(def: InputDef<T>): InputDef<T | undefined>;
export function defineInput<T>(def: InputDef<T>): InputDef<T> {
  return Object.freeze({ ...def });
}

/** The default as a user would type it (`172.19.0.1/30`, `FOO,BAR`), or '' when there is none. */
export function defaultAsText(def: InputDef): string {
  const value = def.default;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && 'cidr' in value) return String((value as { cidr: string }).cidr);
  return String(value);
}
