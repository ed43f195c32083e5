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

// What the built-in plugins need, public so that a site plugin can do what they do with the same imports.

/** Errors: `messageOf` for an unknown rejection's text; `InputProblem` is one line of an InputError. */
export { messageOf, type InputProblem } from './errors.js';
export type { Logger } from './log/logger.js';
export { HOST_READ_LIMIT_BYTES, type FileKind, type DirEntry } from './host/host.js';
/** The strings of a secret value to scrub from logs: every leaf but a credential's user name, email and server. */
export { secretLeaves } from './inputs/options.js';
/** The keys a docker config may file a registry's credentials under, most specific first. */
export { registryAuthKeys } from './image-ref.js';
/** A small file of a container, whole (null when absent, an error past its bound): a config in the image. */
export { readSmallFile } from './docker/read-small-file.js';
/** How long a build-log sink gets to flush at shutdown; the pod's grace period is sized with it. */
export { LOG_FLUSH_MS } from './lifecycle/shutdown-budget.js';
/** The size of the workspace's id range: ids 0..65535 inside map to idOffset.. outside. */
export { ID_RANGE_SIZE } from './shift-owners.js';
/** Passwords in URLs: the forms a secret takes in a URL's userinfo, and the checks for URLs whose parsers disagree. */
export { urlSecretForms, urlPassword, userinfoOf, userinfoReadingsDiffer, schemeSlashesProblem, UserinfoError } from './inputs/url-userinfo.js';
/** A plugin that makes a character device node for the workspace, as fuse and tun are made. */
export { deviceNodePlugin, deviceDir, type DeviceNodePluginSpec } from './device-node-plugin.js';
/** Extra CAs for registries: the shared inputs, and the copies into dockerd's certs.d for one registry host. */
export { extraCertsPath, certsDir, trustExtraCerts } from './registry-certs.js';

/**
 * Files the workspace can write are hostile (envbox runs as root): these read them without following
 * a link, blocking on a FIFO or device, or reading past a bound; judge where a path leads before it
 * exists; and keep what the workspace printed from driving a terminal or filling an error.
 */
export { readBounded, readRegularFile, isNotReadable, openRegularNoFollow, UnsafeFileError } from './host/safe-files.js';
export { resolveAsCreated } from './host/resolve-path.js';
export { isAtOrBelow, isInSystemDir, isProtectedDir, normalizePath } from './host/system-dirs.js';
export { escapeControlCharacters, quoteBounded } from './log/control-chars.js';
