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
/** Who the daemon runs as (`ctx.daemon`), and where a workspace id lands in the outer container. */
export { outerId, type DaemonIdentity, type RootlessIdentity, type IdRange } from './daemon-identity.js';
/** The contexts and values of the daemon hooks: daemonIdentity, preflight, preDaemon, daemonLaunch. */
export type { DaemonAwareContext, DaemonContext, DaemonLaunch, PreflightContext } from './hooks.js';
/** The shape of each input problem an InputError lists. */
export type { InputProblem } from './errors.js';
/** Where a bind source leads once created: its links resolved on the host, a missing path by its deepest existing ancestor. */
export { resolveAsCreated } from './host/resolve-path.js';
/** How many ids one workspace's user namespace spans (userns-remap maps 65536 from ENVBOX_ID_OFFSET). */
export { ID_RANGE_SIZE } from './shift-owners.js';
/** Paths and the outer container's system dirs: "at or below", and the dirs a mount must never hand over. */
export { isAtOrBelow, isInSystemDir, isProtectedDir, normalizePath } from './host/system-dirs.js';
/** What the workspace printed, made safe to quote: control characters escaped, and bounded. */
export { escapeControlCharacters, quoteBounded } from './log/control-chars.js';
