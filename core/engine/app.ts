import { inTap } from '../kernel/env-reads.js';
import { parseArgs } from 'node:util';
import { loadConfig, type LoadedConfig } from '../kernel/config/load-config.js';
import { markStartup, startupTimes } from './status/startup-marks.js';
import { InputError, PluginError, asError, type InputProblem } from '../kernel/errors.js';
import { collectingErrors, collectingProblems, createHooks, pluginHooks, STAGE, type EnvboxHooks, type Mode } from '../kernel/hooks.js';
import type { HostView } from '../kernel/host-view.js';
import { NodeHost } from './host/node-host.js';
import type { InputDef } from '../kernel/inputs/define.js';
import { CORE_INPUTS, debug } from '../kernel/inputs/core-inputs.js';
import type { OptionValues } from '../kernel/inputs/options.js';
import { rawValue, resolveInputsCollecting, type DisabledInput, type InputSources } from '../kernel/inputs/resolve.js';
import { didYouMean } from '../kernel/suggest.js';
import { BuildLog } from '../kernel/build-log.js';
import { createLogger, type Logger } from './log/logger.js';
import { SecretScrubber } from '../kernel/scrub.js';
import type { EnvboxPlugin } from '../kernel/plugin.js';

export interface App {
  mode: Mode;
  hooks: EnvboxHooks;
  options: OptionValues;
  plugins: EnvboxPlugin[];
  host: HostView;
  log: Logger;
  buildLog: BuildLog;
  config: LoadedConfig;
  /** The one scrubber every output path goes through. */
  secrets: SecretScrubber;
}

export interface PrepareOptions {
  mode: Mode;
  /** Arguments after the command name. */
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  host?: HostView;
  /** The built-in plugins, composed by the CLI (core imports no plugin). */
  builtins: EnvboxPlugin[];
  stderr?: { write(text: string): unknown };
  /** The scrubber to fill with secrets; the CLI passes its own so that its error paths use it too. */
  secrets?: SecretScrubber;
  /** A config to use instead of searching for one (envbox/testing). */
  config?: LoadedConfig;
}

/**
 * Every input once. A plugin may share an input with another (fuse and tun share the device dir)
 * by declaring the same definition; two different definitions of one env var are a programming
 * error worth naming.
 */
export function collectInputs(plugins: readonly EnvboxPlugin[]): InputDef[] {
  const byEnv = new Map<string, InputDef>();
  const add = (def: InputDef, owner: string) => {
    const existing = byEnv.get(def.env);
    if (existing && existing.key !== def.key) {
      throw new PluginError(owner, 'inputs', new Error(`${def.env} is already defined by ${existing.owner ?? 'another plugin'} as "${existing.key}"`));
    }
    if (!existing) byEnv.set(def.env, { ...def, owner });
    else if (!existing.owner?.split(', ').includes(owner)) byEnv.set(def.env, { ...existing, owner: `${existing.owner}, ${owner}` });
  };
  CORE_INPUTS.forEach((def) => add(def as InputDef, 'core'));
  for (const plugin of plugins) (plugin.inputs ?? []).forEach((def) => add(def, plugin.name));
  return [...byEnv.values()];
}

/** The plugins a run applies, in order: the built-ins its config does not disable, then the config's own. */
export function activePlugins(builtins: readonly EnvboxPlugin[], config: Pick<LoadedConfig, 'disable' | 'plugins'>): EnvboxPlugin[] {
  return [...builtins.filter((p) => !config.disable.includes(p.name)), ...config.plugins];
}

/** Every env var some plugin's input reads; a plugin that reads another one from process.env is named (see env-reads). */
export function declaredEnvNames(plugins: readonly EnvboxPlugin[]): Set<string> {
  return new Set(collectInputs(plugins).map((def) => def.env));
}

/** The inputs of disabled plugins that no active plugin shares: setting one is a mistake worth naming. */
export function disabledInputs(active: readonly InputDef[], disabled: readonly EnvboxPlugin[]): DisabledInput[] {
  const activeEnvs = new Set(active.map((d) => d.env));
  const out = new Map<string, DisabledInput>();
  for (const plugin of disabled) {
    for (const def of plugin.inputs ?? []) if (!activeEnvs.has(def.env) && !out.has(def.env)) out.set(def.env, { def, plugin: plugin.name });
  }
  return [...out.values()];
}

/** `--config` read as parseFlags reads every flag (the last one wins), before the inputs are known; else ENVBOX_CONFIG. */
export function explicitConfigPath(argv: string[], env: Record<string, string | undefined>): string | undefined {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: false, allowPositionals: true });
  return (typeof values.config === 'string' ? values.config : undefined) ?? (env.ENVBOX_CONFIG || undefined);
}

/** Flags from the input definitions; a bare boolean flag (`--add-fuse`) means true. */
export function parseFlags(argv: string[], defs: InputDef[]): Record<string, string | boolean> {
  const booleans = new Set(defs.filter((d) => d.boolean).flatMap((d) => [d.flag, ...(d.aliases ?? [])]).map((f) => `--${f}`));
  const aliasOf = new Map(defs.flatMap((d) => (d.aliases ?? []).map((a) => [a, d.flag] as const)));
  const normalized = argv.map((arg) => (booleans.has(arg) ? `${arg}=true` : arg));
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const def of defs) for (const flag of [def.flag, ...(def.aliases ?? [])]) options[flag] = { type: 'string' };
  try {
    const { values } = parseArgs({ args: normalized, options, strict: true, allowPositionals: false });
    const flags: Record<string, string | boolean> = {};
    for (const [name, value] of Object.entries(values)) {
      if (name === 'config' || name === 'help' || value === undefined) continue;
      flags[aliasOf.get(name) ?? name] = value as string | boolean;
    }
    return flags;
  } catch (error) {
    const message = asError(error).message.replace(/\. To specify a positional.*$/s, '');
    const flag = /'(--?[^' =]+)/.exec(message)?.[1] ?? 'arguments';
    const hint = /^Unknown option/.test(message) ? didYouMean(flag.replace(/^-+/, ''), Object.keys(options)).replace(/"([^"]+)"/, '"--$1"') : '';
    throw new InputError([{ variable: flag, problem: `${message}${hint}`, example: 'envbox docker --image=ubuntu --username=coder (see envbox docker --help)' }]);
  }
}

/** A disabled name that is no built-in is a typo worth naming. */
function checkDisable(config: LoadedConfig, builtins: readonly EnvboxPlugin[]): void {
  const names = builtins.map((p) => p.name);
  const unknown = config.disable.filter((name) => !names.includes(name));
  if (unknown.length === 0) return;
  throw new InputError(unknown.map((name) => ({
    variable: `disable (in ${config.file})`,
    problem: `"${name}" is not a built-in plugin${didYouMean(name, names)} (they are: ${names.join(', ')})`,
    example: "disable: ['gpu']",
  })));
}

/** Two plugins with one name would make every error ambiguous; a site replaces a built-in only by disabling it. */
function checkPluginNames(builtins: readonly EnvboxPlugin[], config: LoadedConfig): void {
  const seen = new Map<string, string>();
  const problems: InputProblem[] = [];
  const entries = [
    ...builtins.map((plugin) => ({ plugin, source: 'the built-in plugin' })),
    ...config.plugins.map((plugin, i) => ({ plugin, source: config.sources[i] ?? `plugins[${i}]` })),
  ];
  for (const { plugin, source } of entries) {
    const earlier = seen.get(plugin.name);
    if (earlier === undefined) {
      seen.set(plugin.name, source);
      continue;
    }
    const builtin = earlier === 'the built-in plugin';
    problems.push({
      variable: `plugin "${plugin.name}"`,
      problem: `is the name of both ${earlier} and ${source}; each plugin needs its own name`,
      example: builtin ? `rename the site plugin, or disable: ['${plugin.name}'] to replace the built-in` : 'give one of them another name',
    });
  }
  if (problems.length > 0) throw new InputError(problems);
}

/** Secret values as given, before any parsing, so that even an error about them cannot echo them. */
function rawSecrets(defs: readonly InputDef[], sources: InputSources): string[] {
  return defs.filter((d) => d.secret).flatMap((d) => {
    const raw = rawValue(d, sources)?.raw;
    return typeof raw === 'string' ? [raw] : [];
  });
}

/** Drops a configure problem about an input whose value already failed to parse: that problem explains it. */
function withoutEchoes(configure: InputProblem[], parse: InputProblem[]): InputProblem[] {
  const failed = new Set(parse.map((p) => p.variable.split(' ')[0]));
  return configure.filter((p) => !failed.has(p.variable.split(' ')[0]));
}

/**
 * Loads config, registers plugins (built-ins first), resolves every input and runs `configure`.
 * Every problem is reported at once: input that does not parse, and the checks of every plugin's
 * configure tap.
 */
export async function prepareApp(prepare: PrepareOptions): Promise<App> {
  const config = prepare.config ?? await loadConfig(prepare.cwd, explicitConfigPath(prepare.argv, prepare.env));
  markStartup('config');
  const builtins = prepare.builtins;
  checkDisable(config, builtins);
  checkPluginNames(builtins.filter((p) => !config.disable.includes(p.name)), config);
  const plugins = activePlugins(builtins, config);
  const defs = collectInputs(plugins);
  const disabled = disabledInputs(defs, builtins.filter((p) => config.disable.includes(p.name)));
  const secrets = prepare.secrets ?? new SecretScrubber();
  const env = prepare.env;
  const flags = parseFlags(prepare.argv, [...defs, ...disabled.map((d) => d.def)]);
  const sources: InputSources = { config: config.options, configFile: config.file, env, flags, disabled };
  secrets.add(rawSecrets(defs, sources));
  const resolved = resolveInputsCollecting(defs, sources);
  secrets.add(resolved.options.secretValues());
  const buildLog = new BuildLog(prepare.stderr ?? process.stderr, undefined, secrets);
  const redactKeys = [...defs.filter((d) => d.secret).map((d) => d.key), ...plugins.flatMap((p) => p.secretKeys ?? [])];
  const log = createLogger({ debug: resolved.options.get(debug) ?? false, scrub: (line) => secrets.scrub(line), redactKeys, buildLog });
  const host = prepare.host ?? new NodeHost(Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)));
  const hooks = createHooks();
  for (const plugin of plugins) {
    try {
      inTap({ plugin: plugin.name, hook: 'apply' }, () => plugin.apply({ hooks: pluginHooks(hooks, plugin.name), stages: STAGE }));
    } catch (error) {
      if (error instanceof PluginError || error instanceof InputError) throw error;
      throw new PluginError(plugin.name, 'apply', asError(error));
    }
  }
  const { context, collected } = collectingProblems({ mode: prepare.mode, host, log });
  const options = await hooks.configure.promise(resolved.options, context);
  const problems = [...resolved.problems, ...withoutEchoes(collected.problems, resolved.problems)];
  if (problems.length > 0) throw new InputError(problems);
  if (collected.crashes[0]) throw collected.crashes[0];
  secrets.add(options.secretValues());
  markStartup('inputs');
  const logContext = { mode: prepare.mode, options, log };
  buildLog.attach({
    call(entry) {
      const { context: hookContext, errors } = collectingErrors(logContext);
      hooks.buildLog.call(entry, hookContext);
      if (errors[0]) throw errors[0];
    },
  });
  log.debug({ options: options.toJSON(), plugins: plugins.map((p) => p.name), config: config.file, startup: startupTimes().marks }, 'resolved inputs');
  return { mode: prepare.mode, hooks, options, plugins, host, log, buildLog, config, secrets };
}
