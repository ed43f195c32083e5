import { AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable';
import type { Action, ActionSink } from './actions.js';
import type { DockerClient } from './docker/client.js';
import { InputError, PluginError, asError } from './errors.js';
import type { ImageFacts } from './facts.js';
import type { HostView } from './host/host.js';
import type { ImageRef } from './image-ref.js';
import type { OptionValues } from './inputs/options.js';
import type { BuildLog } from './log/buildlog.js';
import type { Logger } from './log/logger.js';
import type { ContainerCreateBody } from './spec/types.js';

export type Mode = 'docker' | 'plan';

export interface ConfigureContext {
  mode: Mode;
  host: HostView;
  log: Logger;
}

export interface BaseContext extends ConfigureContext {
  options: OptionValues;
  buildLog: BuildLog;
}

/** Context of the hooks whose taps may declare side effects. */
export interface PhaseContext extends BaseContext, ActionSink {}

/** The dockerd command line. `argv[0]` is the program; the core adds the cgroup wrapper itself. */
export interface DaemonSpec {
  argv: string[];
  env: Record<string, string>;
}

/** Registry credentials in the shape of Docker's X-Registry-Auth. */
export type PullAuth =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

export interface PullSpec {
  image: ImageRef;
  auth: PullAuth | null;
  /**
   * What a plugin learned before the pull that explains a failure (say, a registry mirror that does
   * not answer); added to the pull's error, since the daemon's own message may not name the cause.
   */
  failureHints?: string[];
}

export interface SpecContext extends PhaseContext {
  facts: ImageFacts;
  containerName: string;
  /** The OCI runtime the container will use: `sysbox-runc`, `runc`, ... */
  runtime: string;
}

export interface StartedContext extends BaseContext {
  containerId: string;
  containerName: string;
  facts: ImageFacts;
  docker: DockerClient;
  signal: AbortSignal;
}

export interface ShutdownContext extends BaseContext {
  reason: string;
  containerId: string | null;
}

/** Every hook envbox emits, in lifecycle order. */
export interface EnvboxHooks {
  /** Waterfall over the resolved inputs; runs before anything starts. Throw an InputError to exit 2. */
  configure: AsyncSeriesWaterfallHook<[OptionValues, ConfigureContext]>;
  /** Waterfall over dockerd's command line. Not called when ENVBOX_DOCKER_HOST names a daemon. */
  preDaemon: AsyncSeriesWaterfallHook<[DaemonSpec, PhaseContext]>;
  /** Waterfall over what to pull and with which credentials. Runs after the daemon answers. */
  prePull: AsyncSeriesWaterfallHook<[PullSpec, PhaseContext]>;
  /** Waterfall over the ContainerCreate body; taps are pure edits of (body, facts). */
  containerSpec: AsyncSeriesWaterfallHook<[ContainerCreateBody, SpecContext]>;
  /**
   * After the container is created and before it starts (`docker` only): files written now (through
   * `docker.putFile`) are there when the image's init starts, with nothing racing them.
   */
  preStart: AsyncSeriesHook<[StartedContext]>;
  /** Side effects once the container runs (`docker` only). */
  postStart: AsyncSeriesHook<[StartedContext]>;
  /** On SIGTERM/SIGINT or failure, before the container and daemons stop. */
  shutdown: AsyncSeriesHook<[ShutdownContext]>;
}

export type HookName = keyof EnvboxHooks;
interface HookSignatures {
  configure: (options: OptionValues, context: ConfigureContext) => OptionValues;
  preDaemon: (daemon: DaemonSpec, context: PhaseContext) => DaemonSpec;
  prePull: (pull: PullSpec, context: PhaseContext) => PullSpec;
  containerSpec: (body: ContainerCreateBody, context: SpecContext) => ContainerCreateBody;
  preStart: (context: StartedContext) => void;
  postStart: (context: StartedContext) => void;
  shutdown: (context: ShutdownContext) => void;
}
/** A tap returns the hook's value (or a promise of it); waterfall taps must return the edited value. */
export type TapFn<K extends HookName> = (...args: Parameters<HookSignatures[K]>) => ReturnType<HookSignatures[K]> | Promise<ReturnType<HookSignatures[K]>>;

/**
 * Named stages order taps across plugins; within a stage, taps run in registration order
 * (built-ins first, then a site's plugins in the order its config lists them).
 */
export const STAGE = Object.freeze({
  /** Core defaults that everything else edits. */
  BASE: -100,
  /** Built-in features, and site plugins unless they ask otherwise. */
  FEATURE: 0,
  /** Sees the finished value: policy checks and last-word overrides. */
  POLICY: 100,
});

export interface TapOptions {
  stage?: number;
}

export interface HookTap<K extends HookName> {
  tap(fn: TapFn<K>): void;
  tap(options: TapOptions, fn: TapFn<K>): void;
}

/** The tap side of every hook; what a plugin's `apply` receives. */
export type PluginHooks = { readonly [K in HookName]: HookTap<K> };

const WATERFALLS: ReadonlySet<HookName> = new Set(['configure', 'preDaemon', 'prePull', 'containerSpec']);

export function createHooks(): Readonly<EnvboxHooks> {
  return Object.freeze({
    configure: new AsyncSeriesWaterfallHook<[OptionValues, ConfigureContext]>(['options', 'context']),
    preDaemon: new AsyncSeriesWaterfallHook<[DaemonSpec, PhaseContext]>(['daemon', 'context']),
    prePull: new AsyncSeriesWaterfallHook<[PullSpec, PhaseContext]>(['pull', 'context']),
    containerSpec: new AsyncSeriesWaterfallHook<[ContainerCreateBody, SpecContext]>(['body', 'context']),
    preStart: new AsyncSeriesHook<[StartedContext]>(['context']),
    postStart: new AsyncSeriesHook<[StartedContext]>(['context']),
    shutdown: new AsyncSeriesHook<[ShutdownContext]>(['context']),
  });
}

/** Contexts handed to `hook.promise` carry the list that a plugin's `act` appends to. */
export interface ActionCollector {
  actions: Action[];
}

function withPluginAct(pluginName: string, hook: HookName, context: unknown): unknown {
  if (typeof context !== 'object' || context === null || !('actions' in context)) return context;
  const collector = context as ActionCollector;
  return {
    ...context,
    act(action: Parameters<ActionSink['act']>[0]) {
      collector.actions.push({ ...action, plugin: pluginName, hook });
    },
  };
}

/**
 * The tap side for one plugin: every tap carries the plugin's name, rejects become PluginErrors
 * that name plugin and hook, and a waterfall tap that forgets to return its value is caught here.
 */
export function pluginHooks(hooks: Readonly<EnvboxHooks>, pluginName: string): PluginHooks {
  const facade = {} as Record<HookName, HookTap<HookName>>;
  for (const name of Object.keys(hooks) as HookName[]) {
    facade[name] = {
      tap(optionsOrFn: TapOptions | TapFn<HookName>, maybeFn?: TapFn<HookName>) {
        const fn = (typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn) as (...args: unknown[]) => unknown;
        const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
        if (typeof fn !== 'function') throw new PluginError(pluginName, name, new TypeError('tap needs a function'));
        const wrapped = async (...args: unknown[]) => {
          const last = args.length - 1;
          const pluginArgs = args.map((arg, i) => (i === last ? withPluginAct(pluginName, name, arg) : arg));
          let result: unknown;
          try {
            result = await fn(...pluginArgs);
          } catch (error) {
            // Bad input stays an InputError (exit 2): its message already names the variable.
            if (error instanceof PluginError || error instanceof InputError) throw error;
            throw new PluginError(pluginName, name, asError(error));
          }
          if (WATERFALLS.has(name) && (result === undefined || result === null)) {
            throw new PluginError(pluginName, name, new TypeError(`a ${name} tap must return the (edited) value it was given`));
          }
          return result;
        };
        (hooks[name] as AsyncSeriesHook<unknown[]>).tapPromise({ name: pluginName, stage: options.stage ?? STAGE.FEATURE }, wrapped as never);
      },
    };
  }
  return Object.freeze(facade) as unknown as PluginHooks;
}
