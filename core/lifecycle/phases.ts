import type { Action } from '../actions.js';
import type { App } from '../app.js';
import { dockerdArgv, usesCgroup2, wrapForCgroup2 } from '../daemon/argv.js';
import type { ImageFacts } from '../facts.js';
import type { ActionCollector, DaemonSpec, PhaseContext, PullSpec } from '../hooks.js';
import {
  bridgeCidr, cgroupRoot, containerName, dockerDataRoot, dockerExecRoot, dockerFallbackDataRoot, dockerPidfile,
  dockerSocket, ethlink, innerImage, oomScoreFile, runtime, usernsUser,
} from '../inputs/core-inputs.js';
import type { ContainerCreateBody } from '../spec/types.js';

/**
 * Each phase runs its hook and returns the value plus the actions its taps declared. `plan` prints
 * these; `docker` performs them. Both call the same functions, so they cannot disagree.
 */
export function phaseContext(app: App): PhaseContext & ActionCollector {
  return {
    mode: app.mode, options: app.options, host: app.host, log: app.log, buildLog: app.buildLog, actions: [],
    act() { throw new Error('act is bound to a plugin by the hook facade'); },
  };
}

/** envbox's own first action: it must be the last thing the OOM killer picks in its pod. */
export function startActions(app: App): Action[] {
  return [{ kind: 'writeFile', path: app.options.get(oomScoreFile), content: '-1000', plugin: 'core', hook: 'start', bestEffort: true }];
}

export interface DaemonPlan {
  spec: DaemonSpec;
  /** What is spawned: the spec's argv, behind the cgroup-v2 wrapper when needed. */
  spawnArgv: string[];
  actions: Action[];
}

export async function planDaemon(app: App, options: { fallback?: boolean } = {}): Promise<DaemonPlan> {
  const o = app.options;
  const link = o.get(ethlink);
  const mtu = await app.host.linkMtu(link);
  if (mtu === null) app.buildLog.info(`Warning: the link ${link} (ENVBOX_ETHLINK) does not exist, so dockerd keeps its default MTU.`);
  const argv = dockerdArgv({
    paths: { socket: o.get(dockerSocket), dataRoot: o.get(dockerDataRoot), execRoot: o.get(dockerExecRoot), pidfile: o.get(dockerPidfile) },
    bridge: o.get(bridgeCidr),
    usernsUser: o.get(usernsUser),
    mtu,
    ...(options.fallback ? { fallbackDataRoot: o.get(dockerFallbackDataRoot) } : {}),
  });
  const ctx = phaseContext(app);
  const spec = await app.hooks.preDaemon.promise({ argv, env: {} }, ctx);
  const spawnArgv = (await usesCgroup2(app.host, o.get(cgroupRoot))) ? wrapForCgroup2(spec.argv) : spec.argv;
  return { spec, spawnArgv, actions: ctx.actions };
}

export async function planPull(app: App): Promise<{ pull: PullSpec; actions: Action[] }> {
  const ctx = phaseContext(app);
  const pull = await app.hooks.prePull.promise({ image: app.options.get(innerImage), auth: null }, ctx);
  return { pull, actions: ctx.actions };
}

export async function planContainer(app: App, facts: ImageFacts): Promise<{ name: string; body: ContainerCreateBody; actions: Action[] }> {
  const ctx = { ...phaseContext(app), facts, containerName: app.options.get(containerName), runtime: app.options.get(runtime) };
  const initial: ContainerCreateBody = { Image: app.options.get(innerImage).raw, HostConfig: {} };
  const body = await app.hooks.containerSpec.promise(initial, ctx);
  return { name: ctx.containerName, body, actions: ctx.actions };
}
