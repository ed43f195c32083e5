import type { Action } from '../../kernel/actions.js';
import type { App } from '../app.js';
import { dockerdArgv, usesCgroup2, wrapForCgroup2 } from '../daemon/argv.js';
import type { DaemonIdentity } from '../../kernel/daemon-identity.js';
import type { DockerClient } from '../../kernel/docker-client.js';
import { EnvboxError } from '../../kernel/errors.js';
import type { ImageFacts } from '../../kernel/image-facts.js';
import {
  collectingActions, type BaseContext, type DaemonAwareContext, type DaemonLaunch, type DaemonSpec, type ExitContext, type FailedContext, type PullSpec,
  type ShutdownContext, type StartedContext,
} from '../../kernel/hooks.js';
import {
  bridgeCidr, cgroupRoot, containerName, debug, dockerDataRoot, dockerExecRoot, dockerFallbackDataRoot, dockerHost, dockerPidfile,
  dockerSocket, ethlink, idOffset, innerImage, oomScoreFile, rootless, runtime, usernsUser,
} from '../../kernel/inputs/core-inputs.js';
import type { ContainerCreateBody } from '../../kernel/container-spec/types.js';

/**
 * Each phase runs its hook and returns the value plus the actions its taps declared. `plan` prints
 * these; `docker` performs them; `envbox/testing` returns them. All three call these functions,
 * so they cannot disagree.
 */
function baseContext(app: App): BaseContext {
  return { mode: app.mode, options: app.options, host: app.host, log: app.log, buildLog: app.buildLog };
}

const identities = new WeakMap<App, Promise<DaemonIdentity>>();

/** Who the daemon runs as: the `daemonIdentity` hook, called once per run, when a hook first needs it. */
export function daemonIdentity(app: App): Promise<DaemonIdentity> {
  let identity = identities.get(app);
  if (!identity) {
    identity = resolveDaemonIdentity(app);
    identities.set(app, identity);
  }
  return identity;
}

async function resolveDaemonIdentity(app: App): Promise<DaemonIdentity> {
  const identity = await app.hooks.daemonIdentity.promise({ rootless: null, idOffset: app.options.get(idOffset) }, baseContext(app));
  // The switch is public (several plugins adapt to it); a run that asks for it and gets a root daemon would be a silent surprise.
  if (app.options.get(rootless) && identity.rootless === null) {
    throw new EnvboxError(`${rootless.env} is true, and no plugin runs the daemon rootless (none published a rootless identity in the daemonIdentity hook)`,
      `Keep the built-in plugin "rootless" enabled (remove it from the config's disable list), or register a plugin that runs the daemon rootless.`);
  }
  // The offset is an input that other steps read too (the id shift, the image's ids); a tap that moved
  // it here would split one workspace across two id ranges.
  if (identity.idOffset !== app.options.get(idOffset)) {
    throw new EnvboxError(`a daemonIdentity tap changed idOffset to ${identity.idOffset}, and ${idOffset.env} is ${app.options.get(idOffset)}`,
      `Leave idOffset as the hook gives it; change ${idOffset.env} (or the config's idOffset option) instead.`);
  }
  return identity;
}

async function daemonAwareContext(app: App): Promise<DaemonAwareContext> {
  return { ...baseContext(app), daemon: await daemonIdentity(app) };
}

/** `preflight` (`docker` only): the plugins' checks of the outer container, before anything starts. */
export async function runPreflight(app: App): Promise<void> {
  const managedDaemon = app.options.get(dockerHost) === undefined;
  await app.hooks.preflight.promise({ ...await daemonAwareContext(app), managedDaemon });
}

/** envbox's own first action: it must be the last thing the OOM killer picks in its pod. */
export function startActions(app: App): Action[] {
  return [{ kind: 'writeFile', path: app.options.get(oomScoreFile), content: '-1000', plugin: 'core', hook: 'start', bestEffort: true }];
}

interface DaemonPlan {
  /** dockerd's command line, after `preDaemon`. */
  spec: DaemonSpec;
  /** How it is spawned, after `daemonLaunch`. */
  launch: DaemonLaunch;
  /** What is spawned: the launch's argv, behind the cgroup-v2 wrapper when the launch keeps it. */
  spawnArgv: string[];
  actions: Action[];
}

export async function planDaemon(app: App, variant: { fallback?: boolean } = {}): Promise<DaemonPlan> {
  const { options } = app;
  const link = options.get(ethlink);
  const mtu = await app.host.linkMtu(link);
  if (mtu === null) app.buildLog.warn(`the link ${link} (ENVBOX_ETHLINK) does not exist, so dockerd keeps its default MTU.`);
  const daemon = await daemonIdentity(app);
  const dataRoot = variant.fallback ? options.get(dockerFallbackDataRoot) : options.get(dockerDataRoot);
  const dockerd = dockerdArgv({
    paths: { socket: options.get(dockerSocket), dataRoot: options.get(dockerDataRoot), execRoot: options.get(dockerExecRoot), pidfile: options.get(dockerPidfile) },
    bridge: options.get(bridgeCidr),
    // A daemon run as a non-root user is in a user namespace already: its ids map through that user.
    usernsUser: daemon.rootless ? null : options.get(usernsUser),
    mtu,
    debug: options.get(debug),
    ...(variant.fallback ? { fallbackDataRoot: dataRoot } : {}),
  });
  const { context, actions } = collectingActions({ ...baseContext(app), daemon });
  const spec = await app.hooks.preDaemon.promise({ argv: dockerd, env: {} }, context);
  const cgroupNesting = await usesCgroup2(app.host, options.get(cgroupRoot));
  const launch = await app.hooks.daemonLaunch.promise({ argv: spec.argv, env: spec.env, cgroupNesting }, { ...context, dataRoot });
  const spawnArgv = launch.cgroupNesting ? wrapForCgroup2([...launch.argv]) : [...launch.argv];
  return { spec, launch, spawnArgv, actions };
}

/**
 * After the pull, sysbox-runc needs /sys writable to create the workspace, so coder/envbox remounts
 * it read-write there (its pull itself runs before). Only for sysbox: runc gives the workspace its
 * own sysfs either way, so a writable /sys in the pod would widen its exposure for nothing.
 */
export function postPullActions(app: App): Action[] {
  if (app.options.get(runtime) !== 'sysbox-runc') return [];
  return [{ kind: 'remount', path: '/sys', options: 'rw', plugin: 'core', hook: 'postPull' }];
}

export async function planPull(app: App): Promise<{ pull: PullSpec; actions: Action[] }> {
  const { context, actions } = collectingActions(await daemonAwareContext(app));
  const pull = await app.hooks.prePull.promise({ image: app.options.get(innerImage), auth: null }, context);
  return { pull, actions };
}

/** The body every containerSpec starts from; the workspace plugin fills in the rest at BASE. */
function initialBody(app: App): ContainerCreateBody {
  return { Image: app.options.get(innerImage).raw, HostConfig: {} };
}

export async function planContainer(app: App, facts: ImageFacts, initial: ContainerCreateBody = initialBody(app)): Promise<{ name: string; body: ContainerCreateBody; actions: Action[] }> {
  const name = app.options.get(containerName);
  const { context, actions } = collectingActions({ ...await daemonAwareContext(app), facts, containerName: name, runtime: app.options.get(runtime) });
  const body = await app.hooks.containerSpec.promise(initial, context);
  return { name, body, actions };
}

interface Running {
  containerId: string;
  containerName: string;
  facts: ImageFacts;
  docker: DockerClient;
  signal: AbortSignal;
}

export function startedContext(app: App, running: Running): StartedContext {
  return { ...baseContext(app), ...running };
}

export function shutdownContext(app: App, reason: string, containerId: string | null): ShutdownContext {
  return { ...baseContext(app), reason, containerId };
}

export function exitContext(app: App, code: number): ExitContext {
  return { ...baseContext(app), code };
}

export function failedContext(app: App, error: unknown, message: string, containerId: string | null): FailedContext {
  return { ...baseContext(app), error, message, containerId };
}
