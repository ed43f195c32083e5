/** The public API for site plugins and configs. */
export { defineConfig, definePlugin, STAGE } from './plugin.js';
export type { EnvboxConfig, EnvboxPlugin, PluginApi, PluginEntry } from './plugin.js';
export type {
  EnvboxHooks, HookName, PluginHooks, TapOptions, ConfigureContext, BaseContext, PhaseContext, SpecContext,
  StartedContext, ShutdownContext, FailedContext, BuildLogContext, DaemonSpec, PullSpec, PullAuth, Mode, TapFn,
} from './hooks.js';
export { HOOK_NAMES } from './hooks.js';
export type { Action, ActionBody, ActionSink } from './actions.js';
export type { BuildLogEntry, BuildLogType } from './log/buildlog.js';
export type { ImageFacts } from './facts.js';
export type { HostView, FileStat, MountEntry } from './host/host.js';
export type { ImageRef } from './image-ref.js';
export * from './spec/index.js';
export { defineInput, type InputDef } from './inputs/define.js';
export * as inputKinds from './inputs/kinds.js';
export * as coreInputs from './inputs/core-inputs.js';
export { InputError, PluginError, EnvboxError } from './errors.js';
export type { OptionValues } from './inputs/options.js';
