import type { Action } from '../actions.js';
import type { App } from '../app.js';
import { dockerdArgv, usesCgroup2, wrapForCgroup2 } from '../daemon/argv.js';
import type { DockerClient } from '../docker/client.js';
import type { ImageFacts } from '../facts.js';
import {
  collectingActions, type BaseContext, type DaemonSpec, type ExitContext, type FailedContext, type PullSpec, type ShutdownContext, type StartedContext,
} from '../hooks.js';
import {
  bridgeCidr, cgroupRoot, containerName, debug, dockerDataRoot, dockerExecRoot, dockerFallbackDataRoot, dockerPidfile,
  dockerSocket, ethlink, innerImage, oomScoreFile, rootless, rootlessDir, rootlessUser, runtime, usernsUser,
} from '../inputs/core-inputs.js';
import { asRootlessUser, rootlessDirActions, rootlessEnv, rootlesskitArgv } from '../rootless/daemon.js';
import { readRootlessIdentity, type RootlessIdentity } from '../rootless/identity.js';
import type { ContainerCreateBody } from '../spec/types.js';

/**
 * Each phase runs its hook and returns the value plus the actions its taps declared. `plan` prints
 * these; `docker` performs them; `envbox/testing` returns them. All three call these functions,
 * so they cannot disagree.
 */
export function baseContext(app: App): BaseContext {
  return { mode: app.mode, options: app.options, host: app.host, log: app.log, buildLog: app.buildLog };
}

/** envbox's own first action: it must be the last thing the OOM killer picks in its pod. */
export function startActions(app: App): Action[] {
  return [{ kind: 'writeFile', path: app.options.get(oomScoreFile), content: '-1000', plugin: 'core', hook: 'start', bestEffort: true }];
}

export interface DaemonPlan {
  spec: DaemonSpec;
  /** The user the daemon runs as, in rootless mode. */
  rootless: RootlessIdentity | null;
  /** What is spawned: the spec's argv, behind the cgroup-v2 wrapper (rootful) or setpriv (rootless). */
  spawnArgv: string[];
  actions: Action[];
}

export async function planDaemon(app: App, options: { fallback?: boolean } = {}): Promise<DaemonPlan> {
  const o = app.options;
  const link = o.get(ethlink);
  const mtu = await app.host.linkMtu(link);
  if (mtu === null) app.buildLog.info(`Warning: the link ${link} (ENVBOX_ETHLINK) does not exist, so dockerd keeps its default MTU.`);
  const identity = o.get(rootless) ? await readRootlessIdentity(app.host, o.get(rootlessUser)) : null;
  const dataRoot = options.fallback ? o.get(dockerFallbackDataRoot) : o.get(dockerDataRoot);
  const dockerd = dockerdArgv({
    paths: { socket: o.get(dockerSocket), dataRoot: o.get(dockerDataRoot), execRoot: o.get(dockerExecRoot), pidfile: o.get(dockerPidfile) },
    bridge: o.get(bridgeCidr),
    usernsUser: identity ? null : o.get(usernsUser),
    mtu,
    debug: o.get(debug),
    ...(options.fallback ? { fallbackDataRoot: dataRoot } : {}),
  });
  const { context, actions } = collectingActions(baseContext(app));
  if (identity) {
    actions.push(...rootlessDirActions(identity, [o.get(rootlessDir), dataRoot, o.get(dockerExecRoot)]));
  }
  const initial = identity
    ? { argv: rootlesskitArgv(dockerd, { stateDir: `${o.get(rootlessDir)}/rootlesskit`, mtu }), env: rootlessEnv(identity, o.get(rootlessDir)) }
    : { argv: dockerd, env: {} };
  const spec = await app.hooks.preDaemon.promise(initial, context);
  const spawnArgv = identity
    ? asRootlessUser(spec.argv, identity, o.secretEnvNames())
    : (await usesCgroup2(app.host, o.get(cgroupRoot))) ? wrapForCgroup2([...spec.argv]) : [...spec.argv];
  return { spec, rootless: identity, spawnArgv, actions };
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
  const { context, actions } = collectingActions(baseContext(app));
  const pull = await app.hooks.prePull.promise({ image: app.options.get(innerImage), auth: null }, context);
  return { pull, actions };
}

/** The body every containerSpec starts from; the workspace plugin fills in the rest at BASE. */
export function initialBody(app: App): ContainerCreateBody {
  return { Image: app.options.get(innerImage).raw, HostConfig: {} };
}

export async function planContainer(app: App, facts: ImageFacts, initial: ContainerCreateBody = initialBody(app)): Promise<{ name: string; body: ContainerCreateBody; actions: Action[] }> {
  const name = app.options.get(containerName);
  const { context, actions } = collectingActions({ ...baseContext(app), facts, containerName: name, runtime: app.options.get(runtime) });
  const body = await app.hooks.containerSpec.promise(initial, context);
  return { name, body, actions };
}

export interface Running {
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
