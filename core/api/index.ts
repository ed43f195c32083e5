/** The public API for site plugins and configs. */
export { defineConfig, definePlugin, STAGE } from '../kernel/plugin.js';
export type { EnvboxConfig, EnvboxPlugin, PluginApi, PluginEntry } from '../kernel/plugin.js';
export type {
  EnvboxHooks, HookName, PluginHooks, TapOptions, ConfigureContext, BaseContext, PhaseContext, SpecContext,
  StartedContext, ShutdownContext, FailedContext, BuildLogContext, DaemonSpec, PullSpec, PullAuth, Mode, TapFn,
} from '../kernel/hooks.js';
export { HOOK_NAMES } from '../kernel/hooks.js';
export type { Action, ActionBody, ActionSink } from '../kernel/actions.js';
export type { BuildLogEntry, BuildLogType } from '../kernel/build-log.js';
export type { ImageFacts } from '../kernel/image-facts.js';
export type { HostView, FileStat, MountEntry } from '../kernel/host-view.js';
export type { ImageRef } from '../kernel/image-ref.js';
export * from '../kernel/container-spec/index.js';
export { defineInput, type InputDef } from '../kernel/inputs/define.js';
export * as inputKinds from '../kernel/inputs/input-kinds.js';
export * as coreInputs from '../kernel/inputs/core-inputs.js';
export { InputError, PluginError, EnvboxError } from '../kernel/errors.js';
export type { OptionValues } from '../kernel/inputs/options.js';
/** Who the daemon runs as (`ctx.daemon`), and where a workspace id lands in the outer container. */
export { outerId, type DaemonIdentity, type RootlessIdentity, type IdRange } from '../kernel/daemon-identity.js';
/** The contexts and values of the daemon hooks: daemonIdentity, preflight, preDaemon, daemonLaunch. */
export type { DaemonAwareContext, DaemonLaunchContext, DaemonLaunch, PreflightContext } from '../kernel/hooks.js';

// What the built-in plugins need, public so that a site plugin can do what they do with the same imports.

/** Errors: `messageOf` for an unknown rejection's text; `InputProblem` is one line of an InputError. */
export { messageOf, type InputProblem } from '../kernel/errors.js';
export type { Logger } from '../engine/log/logger.js';
export { HOST_READ_LIMIT_BYTES, type FileKind, type DirEntry } from '../kernel/host-view.js';
/** The strings of a secret value to scrub from logs: every leaf but a credential's user name, email and server. */
export { secretLeaves } from '../kernel/inputs/options.js';
/** The keys a docker config may file a registry's credentials under, most specific first. */
export { registryAuthKeys } from '../kernel/image-ref.js';
/** A small file of a container, whole (null when absent, an error past its bound): a config in the image. */
export { readSmallFile } from '../engine/docker/read-small-file.js';
/** How long a build-log sink gets to flush at shutdown; the pod's grace period is sized with it. */
export { LOG_FLUSH_MS } from '../engine/lifecycle/shutdown-budget.js';
/** The size of the workspace's id range: ids 0..65535 inside map to idOffset.. outside. */
export { ID_RANGE_SIZE } from '../engine/shift-owners.js';
/** Passwords in URLs: the forms a secret takes in a URL's userinfo, and the checks for URLs whose parsers disagree. */
export { urlSecretForms, urlPassword, userinfoOf, userinfoReadingsDiffer, schemeSlashesProblem, UserinfoError } from '../kernel/inputs/url-userinfo.js';
/** A plugin that makes a character device node for the workspace, as fuse and tun are made. */
export { deviceNodePlugin, deviceDir, type DeviceNodePluginSpec } from '../kernel/device-node-plugin.js';
/** Extra CAs for registries: the shared inputs, and the copies into dockerd's certs.d for one registry host. */
export { extraCertsPath, certsDir, trustExtraCerts } from '../kernel/registry-certs.js';

/**
 * Files the workspace can write are hostile (envbox runs as root): these read them without following
 * a link, blocking on a FIFO or device, or reading past a bound; judge where a path leads before it
 * exists; and keep what the workspace printed from driving a terminal or filling an error.
 */
export { readBounded, readRegularFile, isNotReadable, openRegularNoFollow, UnsafeFileError } from '../engine/host/safe-files.js';
export { resolveAsCreated } from '../engine/host/resolve-path.js';
export { isInSystemDir, isProtectedDir } from '../engine/host/system-dirs.js';
export { isAtOrBelow, normalizePath } from '../kernel/paths.js';
export { escapeControlCharacters, quoteBounded } from '../kernel/control-chars.js';
