import type { InputDef } from './define.js';

export const REDACTED = '[redacted]';

/** The resolved value of every input. Immutable; `with` returns a changed copy. */
export class OptionValues {
  constructor(
    private readonly values: ReadonlyMap<string, unknown>,
    private readonly defs: ReadonlyMap<string, InputDef>,
  ) {}

  get<T>(def: InputDef<T>): T {
    if (!this.defs.has(def.key)) throw new Error(`input "${def.key}" (${def.env}) is not registered: add it to its plugin's inputs`);
    return this.values.get(def.key) as T;
  }

  with<T>(def: InputDef<T>, value: T): OptionValues {
    const values = new Map(this.values);
    values.set(def.key, value);
    return new OptionValues(values, this.defs);
  }

  definitions(): InputDef[] {
    return [...this.defs.values()];
  }

  /** Every secret value that is set, so that loggers can scrub them from any text. */
  secretValues(): string[] {
    const whole = this.definitions().filter((d) => d.secret).flatMap((d) => secretLeaves(this.values.get(d.key)));
    return [...whole, ...this.definitions().flatMap((d) => this.partsOf(d))];
  }

  private partsOf(def: InputDef): string[] {
    const value = this.values.get(def.key);
    return def.secretParts && value !== undefined ? def.secretParts(value).filter((p) => p.length > 0) : [];
  }

  /** The env vars of the secret inputs (CODER_AGENT_TOKEN, CODER_IMAGE_PULL_SECRET, a site's own). */
  secretEnvNames(): string[] {
    return this.definitions().filter((d) => d.secret).map((d) => d.env);
  }

  /** Plain object for logs and plan output, with secrets replaced by `[redacted]`. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const def of this.defs.values()) {
      const value = this.values.get(def.key);
      if (value === undefined) continue;
      const parts = this.partsOf(def);
      out[def.key] = def.secret ? REDACTED : parts.length > 0 ? JSON.parse(parts.reduce((t, p) => t.split(JSON.stringify(p).slice(1, -1)).join(REDACTED), JSON.stringify(value))) : value;
    }
    return out;
  }
}

// A username such as "coder" is not secret, and scrubbing it would garble every log line.
const PUBLIC_FIELDS = new Set(['username', 'email', 'serveraddress']);

/** Every string in a secret value, except the public fields of a credential. */
export function secretLeaves(value: unknown): string[] {
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).filter(([key]) => !PUBLIC_FIELDS.has(key)).flatMap(([, v]) => secretLeaves(v));
}
