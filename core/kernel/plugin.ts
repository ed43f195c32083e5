import './zod-config.js';
import * as z from 'zod';
import type { InputDef } from './inputs/define.js';
import { STAGE, type PluginHooks } from './hooks.js';

export interface PluginApi {
  /** The tap side of every hook; taps carry this plugin's name automatically. */
  readonly hooks: PluginHooks;
  readonly stages: typeof STAGE;
}

/** A plugin is a plain object with a name. Built-ins and site plugins have the same shape. */
export interface EnvboxPlugin {
  name: string;
  /** The inputs this plugin owns; they become env vars, flags and config keys. */
  inputs?: readonly InputDef<any>[];
  /**
   * Object keys whose values are secret wherever they are logged (`auth`, `identitytoken`); the
   * debug logger redacts them. Values of `secret: true` inputs are scrubbed from every output anyway,
   * and a secret learned later is handed to `ctx.buildLog.redact([value])`.
   */
  secretKeys?: readonly string[];
  apply(api: PluginApi): void;
}

/** Identity with types, for plugin authors. */
export function definePlugin(plugin: EnvboxPlugin): EnvboxPlugin {
  return plugin;
}

/** A plugin object, a module path (resolved from the config file's folder), or [path, options]. */
export type PluginEntry = EnvboxPlugin | string | readonly [string, unknown];

/** What a config file exports, as loading it checks it; each plugin entry is checked on its own, with its index. */
export const envboxConfigSchema = z.strictObject({
  /** Site plugins, applied after the built-ins in this order. */
  plugins: z.array(z.custom<PluginEntry>()).optional(),
  /** Option defaults by config key (`cpus`, `addFuse`, ...); env vars and flags override them. */
  options: z.record(z.string(), z.unknown()).optional(),
  /** Names of built-in plugins to leave out, e.g. `['gpu']`. */
  disable: z.array(z.string()).optional(),
});

export type EnvboxConfig = z.infer<typeof envboxConfigSchema>;

/** Identity with types, so that `// @ts-check` gives a plain envbox.config.js completion. */
export function defineConfig(config: EnvboxConfig): EnvboxConfig {
  return config;
}

export { STAGE };
