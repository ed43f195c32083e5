import { isDeepStrictEqual } from 'node:util';
import { InputError, type InputProblem } from '../errors.js';
import type { InputDef } from './define.js';
import { OptionValues } from './options.js';
import { nearest } from '../suggest.js';

export interface InputSources {
  /** Option defaults from the config file, keyed by config key; `configFile` names it in errors. */
  config?: Record<string, unknown>;
  configFile?: string;
  env: Record<string, string | undefined>;
  /** Flag values keyed by flag name (no dashes). */
  flags: Record<string, string | boolean | undefined>;
  /** Inputs of disabled plugins: accepted only when unset or equal to their default. */
  disabled?: readonly DisabledInput[];
}

export interface DisabledInput {
  def: InputDef;
  /** The disabled plugin that owns it. */
  plugin: string;
}

type Origin = 'config' | 'env' | 'flag';

/** The raw value and where it came from, by precedence: flag, then env (empty counts as unset), then config. */
export function rawValue(def: InputDef, sources: InputSources): { raw: unknown; origin: Origin } | undefined {
  const flag = sources.flags[def.flag];
  const env = sources.env[def.env];
  const config = sources.config?.[def.key];
  if (flag !== undefined) return { raw: flag, origin: 'flag' };
  if (env !== undefined && env !== '') return { raw: env, origin: 'env' };
  if (config !== undefined) return { raw: config, origin: 'config' };
  return undefined;
}

/**
 * Disabling a plugin disables its inputs. A value that would change what the plugin does is an
 * error naming it; one equal to the default is accepted, because templates set every input
 * (Coder's always sets CODER_ADD_FUSE=false).
 */
function disabledProblem({ def, plugin }: DisabledInput, sources: InputSources): InputProblem | null {
  const given = rawValue(def, sources);
  if (given === undefined) return null;
  const parsed = def.schema.safeParse(given.raw);
  if (parsed.success && isDeepStrictEqual(parsed.data, def.default)) return null;
  return {
    variable: spelledAs(def, given.origin, sources.configFile),
    problem: `belongs to the plugin "${plugin}", which is disabled${sources.configFile ? ` (disable in ${sources.configFile})` : ''}, so it would be ignored`,
    example: `unset ${def.env}, or remove '${plugin}' from disable`,
  };
}

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
  const { options, problems } = resolveInputsCollecting(defs, sources);
  if (problems.length > 0) throw new InputError(problems);
  return options;
}

/**
 * Like resolveInputs, but returns the problems instead of throwing, with each bad input at its
 * default, so that the plugins' configure checks can still run and be reported in the same pass.
 */
export function resolveInputsCollecting(defs: InputDef[], sources: InputSources): { options: OptionValues; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const values = new Map<string, unknown>();
  const byKey = new Map<string, InputDef>();
  const disabled = sources.disabled ?? [];
  for (const input of disabled) {
    const problem = disabledProblem(input, sources);
    if (problem) problems.push(problem);
  }
  const unknownConfigKeys = Object.keys(sources.config ?? {}).filter((k) => !defs.some((d) => d.key === k) && !disabled.some((d) => d.def.key === k));
  const knownKeys = [...defs, ...disabled.map((d) => d.def)].map((d) => d.key);
  for (const key of unknownConfigKeys) {
    const match = nearest(key, knownKeys);
    const def = defs.find((d) => d.key === match);
    problems.push({
      variable: `${key} (in ${sources.configFile ?? 'the config file'})`,
      problem: `is not a known option${match ? ` (did you mean "${match}"?)` : ''}`,
      example: def ? `options: { ${def.key}: ${JSON.stringify(def.example)} }` : `options: { cpus: 2 } (see docs/inputs.md for every option)`,
    });
  }
  for (const def of defs) {
    byKey.set(def.key, def);
    const given = rawValue(def, sources);
    if (given === undefined) {
      if (def.required) problems.push({ variable: def.env, problem: 'is required but not set', example: `${def.env}=${def.example}` });
      values.set(def.key, def.default);
      continue;
    }
    const { raw, origin } = given;
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) {
      values.set(def.key, parsed.data);
    } else {
      values.set(def.key, def.default);
      let problem = parsed.error.issues[0]?.message ?? 'is invalid';
      if (def.secret && typeof raw === 'string' && raw.length > 0) problem = problem.split(raw).join('[redacted]');
      problems.push({
        variable: spelledAs(def, origin, sources.configFile),
        problem,
        example: exampleFor(def, origin),
      });
    }
  }
  return { options: new OptionValues(values, byKey), problems };
}
