import type { Action } from '../../core/actions.js';
import type { ImageFacts } from '../../core/facts.js';
import { createHooks, pluginHooks, STAGE, type PhaseContext, type PullSpec, type SpecContext, type DaemonSpec } from '../../core/hooks.js';
import type { HostView } from '../../core/host/host.js';
import { CORE_INPUTS, innerImage } from '../../core/inputs/core-inputs.js';
import type { OptionValues } from '../../core/inputs/options.js';
import { resolveInputs } from '../../core/inputs/resolve.js';
import { BuildLog } from '../../core/log/buildlog.js';
import { silentLogger } from '../../core/log/logger.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import type { ContainerCreateBody } from '../../core/spec/types.js';
import { MemoryHost } from './memory-host.js';

/**
 * Calls one hook of a few plugins with a small context, the way Vite's plugin tests do:
 * no Docker, no root, no daemon.
 */
export const REQUIRED_ENV = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' };

export const ubuntuFacts: ImageFacts = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' };

export function resolveFor(plugins: EnvboxPlugin[], env: Record<string, string> = {}, flags: Record<string, string | boolean> = {}): OptionValues {
  const defs = [...CORE_INPUTS, ...plugins.flatMap((p) => p.inputs ?? [])];
  return resolveInputs(defs, { env: { ...REQUIRED_ENV, ...env }, flags });
}

export function baseBody(image = 'ubuntu'): ContainerCreateBody {
  return { Image: image, User: 'root', Env: [], HostConfig: { Runtime: 'sysbox-runc', Binds: [] } };
}

export interface HookRun {
  env?: Record<string, string>;
  host?: HostView;
  facts?: ImageFacts;
  runtime?: string;
  mode?: 'docker' | 'plan';
  /** Where build-log lines go (default: nowhere). */
  buildLog?: BuildLog;
}

function context(plugins: EnvboxPlugin[], run: HookRun): PhaseContext & { actions: Action[] } {
  const options = resolveFor(plugins, run.env);
  return {
    mode: run.mode ?? 'plan',
    options,
    host: run.host ?? new MemoryHost(run.env ?? {}),
    log: silentLogger(),
    buildLog: run.buildLog ?? new BuildLog({ write: () => true }),
    actions: [],
    act() { throw new Error('act is bound per plugin by the hook facade'); },
  };
}

function applied(plugins: EnvboxPlugin[]) {
  const hooks = createHooks();
  for (const plugin of plugins) plugin.apply({ hooks: pluginHooks(hooks, plugin.name), stages: STAGE });
  return hooks;
}

export async function runContainerSpec(plugins: EnvboxPlugin[], run: HookRun & { body?: ContainerCreateBody } = {}) {
  const ctx: SpecContext & { actions: Action[] } = {
    ...context(plugins, run),
    facts: run.facts ?? ubuntuFacts,
    containerName: 'workspace_cvm',
    runtime: run.runtime ?? 'sysbox-runc',
  };
  const body = await applied(plugins).containerSpec.promise(run.body ?? baseBody(), ctx);
  return { body, actions: ctx.actions };
}

export async function runPrePull(plugins: EnvboxPlugin[], run: HookRun = {}) {
  const ctx = context(plugins, run);
  const pull: PullSpec = { image: ctx.options.get(innerImage), auth: null };
  const result = await applied(plugins).prePull.promise(pull, ctx);
  return { pull: result, actions: ctx.actions };
}

export async function runPreDaemon(plugins: EnvboxPlugin[], run: HookRun & { daemon?: DaemonSpec } = {}) {
  const ctx = context(plugins, run);
  const result = await applied(plugins).preDaemon.promise(run.daemon ?? { argv: ['dockerd'], env: {} }, ctx);
  return { daemon: result, actions: ctx.actions };
}
