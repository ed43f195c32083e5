import { parseArgs } from 'node:util';
import { builtinPlugins } from './builtins.js';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { InputError, PluginError, asError } from './errors.js';
import { createHooks, pluginHooks, STAGE, type EnvboxHooks, type Mode } from './hooks.js';
import type { HostView } from './host/host.js';
import { NodeHost } from './host/node-host.js';
import type { InputDef } from './inputs/define.js';
import { CORE_INPUTS, debug } from './inputs/core-inputs.js';
import type { OptionValues } from './inputs/options.js';
import { resolveInputs } from './inputs/resolve.js';
import { BuildLog } from './log/buildlog.js';
import { createLogger, type Logger } from './log/logger.js';
import { SecretScrubber } from './log/scrub.js';
import type { EnvboxPlugin } from './plugin.js';

export interface App {
  mode: Mode;
  hooks: Readonly<EnvboxHooks>;
  options: OptionValues;
  plugins: EnvboxPlugin[];
  host: HostView;
  log: Logger;
  buildLog: BuildLog;
  config: LoadedConfig;
}

export interface PrepareOptions {
  mode: Mode;
  /** Arguments after the command name. */
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  host?: HostView;
  builtins?: EnvboxPlugin[];
  stderr?: { write(text: string): unknown };
}

/** Every input once; two different definitions of one env var are a programming error worth naming. */
export function collectInputs(plugins: EnvboxPlugin[]): InputDef[] {
  const byEnv = new Map<string, InputDef>();
  const add = (def: InputDef, owner: string) => {
    const existing = byEnv.get(def.env);
    if (existing && existing.key !== def.key) {
      throw new PluginError(owner, 'inputs', new Error(`${def.env} is already defined by ${existing.owner ?? 'another plugin'} as "${existing.key}"`));
    }
    if (!existing) byEnv.set(def.env, { ...def, owner });
  };
  CORE_INPUTS.forEach((def) => add(def as InputDef, 'core'));
  for (const plugin of plugins) (plugin.inputs ?? []).forEach((def) => add(def, plugin.name));
  return [...byEnv.values()];
}

function explicitConfigPath(argv: string[], env: Record<string, string | undefined>): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
    if (arg === '--config') return argv[i + 1];
  }
  return env.ENVBOX_CONFIG || undefined;
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
    const flag = /'(--?[^' ]+)/.exec(message)?.[1] ?? 'arguments';
    throw new InputError([{ variable: flag, problem: message, example: 'envbox docker --image=ubuntu --username=coder (see envbox docker --help)' }]);
  }
}

/** Loads config, registers plugins (built-ins first), resolves every input and runs `configure`. */
export async function prepareApp(prepare: PrepareOptions): Promise<App> {
  const config = await loadConfig(prepare.cwd, explicitConfigPath(prepare.argv, prepare.env));
  const builtins = prepare.builtins ?? builtinPlugins();
  const unknown = config.disable.filter((name) => !builtins.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new InputError([{
      variable: `disable (in ${config.file})`,
      problem: `${unknown.map((n) => `"${n}"`).join(', ')} is not a built-in plugin (they are: ${builtins.map((p) => p.name).join(', ')})`,
      example: "disable: ['gpu']",
    }]);
  }
  const plugins = [...builtins.filter((p) => !config.disable.includes(p.name)), ...config.plugins];
  const defs = collectInputs(plugins);
  const flags = parseFlags(prepare.argv, defs);
  const env = prepare.env;
  let options = resolveInputs(defs, { config: config.options, configFile: config.file, env, flags });
  const secrets = new SecretScrubber();
  secrets.add(options.secretValues());
  const buildLog = new BuildLog(prepare.stderr ?? process.stderr, undefined, secrets);
  const log = createLogger({ debug: options.get(debug), scrub: (line) => secrets.scrub(line), buildLog });
  const host = prepare.host ?? new NodeHost(Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)));
  const hooks = createHooks();
  for (const plugin of plugins) {
    try {
      plugin.apply({ hooks: pluginHooks(hooks, plugin.name), stages: STAGE });
    } catch (error) {
      throw error instanceof PluginError ? error : new PluginError(plugin.name, 'apply', asError(error));
    }
  }
  options = await hooks.configure.promise(options, { mode: prepare.mode, host, log });
  secrets.add(options.secretValues());
  log.debug({ options: options.toJSON(), plugins: plugins.map((p) => p.name), config: config.file }, 'resolved inputs');
  return { mode: prepare.mode, hooks, options, plugins, host, log, buildLog, config };
}
