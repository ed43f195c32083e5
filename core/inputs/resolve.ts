import { InputError, type InputProblem } from '../errors.js';
import type { InputDef } from './define.js';
import { OptionValues } from './options.js';

export interface InputSources {
  /** Option defaults from the config file, keyed by config key; `configFile` names it in errors. */
  config?: Record<string, unknown>;
  configFile?: string;
  env: Record<string, string | undefined>;
  /** Flag values keyed by flag name (no dashes). */
  flags: Record<string, string | boolean | undefined>;
}

type Origin = 'config' | 'env' | 'flag';

function spelledAs(def: InputDef, origin: Origin, configFile?: string): string {
  if (origin === 'env') return def.env;
  if (origin === 'flag') return `--${def.flag}`;
  return `${def.key} (in ${configFile ?? 'the config file'})`;
}

function exampleFor(def: InputDef, origin: Origin): string {
  if (origin === 'flag') return `--${def.flag}=${def.example}`;
  if (origin === 'config') return `options: { ${def.key}: ${JSON.stringify(def.example)} }`;
  return `${def.env}=${def.example}`;
}

/**
 * Precedence, lowest first: built-in default, config file, env var, flag. An empty env var counts
 * as unset, because pod templates often render optional values as "". Every problem is collected,
 * so the user fixes all of them in one go.
 */
export function resolveInputs(defs: InputDef[], sources: InputSources): OptionValues {
  const problems: InputProblem[] = [];
  const values = new Map<string, unknown>();
  const byKey = new Map<string, InputDef>();
  const unknownConfigKeys = Object.keys(sources.config ?? {}).filter((k) => !defs.some((d) => d.key === k));
  for (const key of unknownConfigKeys) {
    problems.push({
      variable: `${key} (in ${sources.configFile ?? 'the config file'})`,
      problem: 'is not a known option',
      example: `options: { cpus: 2 } (see the README for every option)`,
    });
  }
  for (const def of defs) {
    byKey.set(def.key, def);
    const flag = sources.flags[def.flag];
    const env = sources.env[def.env];
    const config = sources.config?.[def.key];
    let raw: unknown;
    let origin: Origin | undefined;
    if (flag !== undefined) [raw, origin] = [flag, 'flag'];
    else if (env !== undefined && env !== '') [raw, origin] = [env, 'env'];
    else if (config !== undefined) [raw, origin] = [config, 'config'];
    if (origin === undefined) {
      if (def.required) problems.push({ variable: def.env, problem: 'is required but not set', example: `${def.env}=${def.example}` });
      values.set(def.key, def.default);
      continue;
    }
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) {
      values.set(def.key, parsed.data);
    } else {
      let problem = parsed.error.issues[0]?.message ?? 'is invalid';
      if (def.secret && typeof raw === 'string' && raw.length > 0) problem = problem.split(raw).join('[redacted]');
      problems.push({
        variable: spelledAs(def, origin, sources.configFile),
        problem,
        example: exampleFor(def, origin),
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return new OptionValues(values, byKey);
}
