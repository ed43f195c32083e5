import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from 'tapable';
import { actionProblem, type Action, type ActionSink } from './actions.js';
import type { DaemonIdentity } from './daemon-identity.js';
import type { DockerClient } from './docker-client.js';
import type { PullAuth } from './registry-auth.js';
import { inTap } from './env-reads.js';
import { EnvboxError, InputError, PluginError, asError, type InputProblem } from './errors.js';
import type { ImageFacts } from './image-facts.js';
import { checkResult, deepFreeze } from './hook-results.js';
import type { HostView } from './host-view.js';
import type { ImageRef } from './image-ref.js';
import type { OptionValues } from './inputs/options.js';
import type { BuildLog, BuildLogEntry } from './build-log.js';
import type { Logger } from 'pino';
import type { ContainerCreateBody } from './container-spec/types.js';
import { didYouMean } from './suggest.js';

export type { PullAuth };
export type Mode = 'docker' | 'plan';

export interface ConfigureContext {
  readonly mode: Mode;
  readonly host: HostView;
  readonly log: Logger;
}

export interface BaseContext extends ConfigureContext {
  readonly options: OptionValues;
  readonly buildLog: BuildLog;
}

/** Context of the hooks that run once the daemon's identity is known (published by `daemonIdentity`). */
export interface DaemonAwareContext extends BaseContext {
  /** Who the daemon runs as, and how the workspace's ids map to the outer container's (see `outerId`). */
  readonly daemon: DaemonIdentity;
}

/** Context of the hooks whose taps may declare side effects. */
export interface PhaseContext extends DaemonAwareContext, ActionSink {}

/** Context of `preflight`: checks only, so no `act`; `docker` mode only. */
export interface PreflightContext extends DaemonAwareContext {
  /** ENVBOX_DOCKER_HOST unset: envbox starts its own daemon (the start these checks guard). */
  readonly managedDaemon: boolean;
}

/** Context of `daemonLaunch`. */
export interface DaemonLaunchContext extends PhaseContext {
  /** The data root this start uses: ENVBOX_DOCKER_DATA_ROOT, or the fallback one when dockerd restarts after a full disk. */
  readonly dataRoot: string;
}

/** The dockerd command line. `argv[0]` is the program; `daemonLaunch` may wrap it, and the core adds the cgroup wrapper. */
export interface DaemonSpec {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * How the daemon is spawned: the `preDaemon` command line, wrapped by what must run around it
 * (a user switch, a namespace tool), with the env it gets besides envbox's own (secrets left out).
 */
export interface DaemonLaunch {
  /** What is spawned, program first: the preDaemon command line, or a wrapper that ends by exec'ing it. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /**
   * Whether the core puts its cgroup-v2 nesting wrapper in front (`unshare --cgroup`, /sys/fs/cgroup remounted,
   * the controllers delegated): true on cgroup v2. It needs root in the outer container; a tap that starts the
   * daemon as another user sets it false.
   */
  readonly cgroupNesting: boolean;
}

export interface PullSpec {
  readonly image: Readonly<ImageRef>;
  readonly auth: Readonly<PullAuth> | null;
  /**
   * What a plugin learned before the pull that explains a failure (say, a registry mirror that does
   * not answer); added to the pull's error, since the daemon's own message may not name the cause.
   */
  readonly failureHints?: readonly string[];
}

export interface SpecContext extends PhaseContext {
  readonly facts: ImageFacts;
  readonly containerName: string;
  /** The OCI runtime the container will use: `sysbox-runc`, `runc`, ... */
  readonly runtime: string;
}

export interface StartedContext extends BaseContext {
  readonly containerId: string;
  readonly containerName: string;
  readonly facts: ImageFacts;
  readonly docker: DockerClient;
  readonly signal: AbortSignal;
}

export interface ShutdownContext extends BaseContext {
  /** The signal that asked envbox to stop. */
  readonly reason: string;
  readonly containerId: string | null;
}

export interface FailedContext extends BaseContext {
  readonly error: unknown;
  /** The failure paragraph, scrubbed: what the build log, status file and termination log say. */
  readonly message: string;
  readonly containerId: string | null;
}

export interface ExitContext extends BaseContext {
  /** The exit code envbox is about to exit with. */
  readonly code: number;
}

export interface BuildLogContext {
  readonly mode: Mode;
  readonly options: OptionValues;
  readonly log: Logger;
}

/**
 * Every hook envbox emits, in lifecycle order: the one declaration that the tap types, the set of
 * waterfalls and the plugin facade are derived from (as webpack's Compiler declares its hooks).
 */
export function createHooks() {
  return Object.freeze({
    /** Waterfall over the resolved inputs; runs before anything starts. Throw an InputError to exit 2. */
    configure: new AsyncSeriesWaterfallHook<[OptionValues, ConfigureContext]>(['options', 'context']),
    /**
     * Waterfall over who the daemon runs as, from userns-remap at ENVBOX_ID_OFFSET (`rootless: null`). Called
     * once, when a later hook first needs it; preflight, preDaemon, daemonLaunch, prePull and containerSpec see
     * the result as `ctx.daemon`. `idOffset` stays ENVBOX_ID_OFFSET's; an EnvboxError a tap throws is reported as it is.
     */
    daemonIdentity: new AsyncSeriesWaterfallHook<[DaemonIdentity, BaseContext]>(['daemon', 'context']),
    /**
     * `docker` only, first, before envbox starts anything: checks of the outer container. A tap fails the run
     * (exit 1) by throwing an EnvboxError whose message says what is missing and whose hint says how to give it;
     * that finding is reported as it is. Any other throw is a PluginError naming the plugin and the hook.
     */
    preflight: new AsyncSeriesHook<[PreflightContext]>(['context']),
    /** Waterfall over dockerd's command line. Not called when ENVBOX_DOCKER_HOST names a daemon. */
    preDaemon: new AsyncSeriesWaterfallHook<[DaemonSpec, PhaseContext]>(['daemon', 'context']),
    /**
     * Waterfall over how the daemon is spawned, after `preDaemon` (in `plan` too: it prints the result): wrap its
     * command, set the user it runs as and declare the dirs that user needs, or turn off the cgroup-v2 wrapper.
     * Called again when dockerd restarts on the fallback data root. Not called with ENVBOX_DOCKER_HOST.
     */
    daemonLaunch: new AsyncSeriesWaterfallHook<[DaemonLaunch, DaemonLaunchContext]>(['launch', 'context']),
    /** Waterfall over what to pull and with which credentials. Runs after the daemon answers. */
    prePull: new AsyncSeriesWaterfallHook<[PullSpec, PhaseContext]>(['pull', 'context']),
    /** Waterfall over the ContainerCreate body; taps are pure edits of (body, facts). The body is frozen. */
    containerSpec: new AsyncSeriesWaterfallHook<[ContainerCreateBody, SpecContext]>(['body', 'context']),
    /**
     * After the container is created and before it starts (`docker` only): files written now (through
     * `docker.putFiles`) are there when the image's init starts, with nothing racing them.
     */
    preStart: new AsyncSeriesHook<[StartedContext]>(['context']),
    /** Side effects once the container runs (`docker` only). */
    postStart: new AsyncSeriesHook<[StartedContext]>(['context']),
    /** Sync, once per build-log line, after secrets are scrubbed. A throw is reported, never fatal. */
    buildLog: new SyncHook<[BuildLogEntry, BuildLogContext]>(['entry', 'context']),
    /** On a runtime failure (exit 1), after the failure is reported and before everything stops. */
    failed: new AsyncSeriesHook<[FailedContext]>(['context']),
    /** On SIGTERM/SIGINT, before the bootstrap process, the container and the daemons stop. */
    shutdown: new AsyncSeriesHook<[ShutdownContext]>(['context']),
    /**
     * Last (`docker` only): after the final build-log line (`stopped in …`, or the error and the cleanup
     * after it), before envbox exits. For a plugin that sends lines elsewhere to flush them and close.
     */
    exit: new AsyncSeriesHook<[ExitContext]>(['context']),
  });
}

export type EnvboxHooks = ReturnType<typeof createHooks>;
export type HookName = keyof EnvboxHooks;
export const HOOK_NAMES: readonly HookName[] = Object.freeze(Object.keys(createHooks()) as HookName[]);

type ArgsOf<K extends HookName> = EnvboxHooks[K] extends { promise(...args: infer A): Promise<unknown> } ? A : never;
type ResultOf<K extends HookName> = EnvboxHooks[K] extends { promise(...args: never[]): Promise<infer R> } ? R : never;
type SyncHookName = { [K in HookName]: EnvboxHooks[K] extends SyncHook<never, unknown> ? K : never }[HookName];

/** A tap returns the hook's value (or a promise of it); waterfall taps must return the edited value. Sync hooks take sync taps. */
export type TapFn<K extends HookName> = K extends SyncHookName
  ? (...args: ArgsOf<K>) => ResultOf<K>
  : (...args: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>>;

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
  /**
   * Checks that may refuse the value, never change it: a waterfall tap at this stage or later must
   * return the value it was given. So every CHECK tap sees the final value, whatever a later plugin does.
   */
  CHECK: 1000,
});

export interface TapOptions {
  /** A label, as tapable users write it; errors always cite the plugin's own name. */
  name?: string;
  stage?: number;
}

/** tapable's own forms: `tap(fn)`, `tap('Name', fn)`, `tap({ name, stage }, fn)`. */
interface HookTap<K extends HookName> {
  tap(fn: TapFn<K>): void;
  tap(nameOrOptions: string | TapOptions, fn: TapFn<K>): void;
  /** Only on the async hooks, as in tapable (a sync hook's `tapPromise` is refused, naming `tap`). */
  tapPromise(nameOrOptions: string | TapOptions, fn: TapFn<K>): void;
}

/** The tap side of every hook; what a plugin's `apply` receives. */
export type PluginHooks = { readonly [K in HookName]: HookTap<K> };

/** Where a hook call collects what its taps declare; never visible to a plugin. */
const ACTIONS = Symbol('actions');
/** Set on `configure`'s context to collect every InputError of every tap instead of stopping at the first. */
const PROBLEMS = Symbol('problems');

/** Set on a sync hook's context: a tap's error is kept there and the next tap still runs. */
const ERRORS = Symbol('errors');

/** A context for a sync hook call whose taps must not stop each other; their errors land in `errors`. */
export function collectingErrors<C extends object>(context: C): { context: C; errors: PluginError[] } {
  const errors: PluginError[] = [];
  return { context: { ...context, [ERRORS]: errors }, errors };
}

interface CollectedProblems {
  problems: InputProblem[];
  /** Errors that were not bad input, kept in case no problem explains them. */
  crashes: Error[];
}

/** A context for a hook call whose taps may declare actions, and the list they land in. */
export function collectingActions<C extends object>(context: C): { context: C & ActionSink; actions: Action[] } {
  const actions: Action[] = [];
  const act = () => { throw new Error('act is bound to a plugin by the hook facade'); };
  return { context: { ...context, act, [ACTIONS]: actions }, actions };
}

/** A configure context that collects the InputErrors of all taps. */
export function collectingProblems(context: ConfigureContext): { context: ConfigureContext; collected: CollectedProblems } {
  const collected: CollectedProblems = { problems: [], crashes: [] };
  return { context: { ...context, [PROBLEMS]: collected } as ConfigureContext, collected };
}

/** The context one tap sees: the caller's internals removed, `act` bound to this plugin and hook, validated. */
function pluginContext(pluginName: string, hook: HookName, context: unknown): unknown {
  if (typeof context !== 'object' || context === null) return context;
  const { [ACTIONS]: actions, [PROBLEMS]: _problems, [ERRORS]: _errors, ...visible } = context as Record<string | symbol, unknown>;
  if (!Array.isArray(actions)) return visible;
  return {
    ...visible,
    act(action: unknown) {
      const problem = actionProblem(action);
      if (problem !== null) throw new PluginError(pluginName, hook, new TypeError(`declared an invalid action (${problem})`));
      (actions as Action[]).push({ ...(action as Action), plugin: pluginName, hook });
    },
  };
}

function contractError(pluginName: string, problem: string, example: string): InputError {
  return new InputError([{ variable: `plugin "${pluginName}"`, problem, example }]);
}

function tapArguments(pluginName: string, hook: HookName, optionsOrFn: unknown, maybeFn: unknown): { stage: number; fn: (...args: unknown[]) => unknown } {
  const example = `api.hooks.${hook}.tap({ name: '${pluginName}', stage: api.stages.POLICY }, (value, ctx) => value)`;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function') throw contractError(pluginName, `hooks.${hook}.tap needs a function`, example);
  if (typeof optionsOrFn === 'function' || typeof optionsOrFn === 'string') return { stage: STAGE.FEATURE, fn: fn as (...args: unknown[]) => unknown };
  if (typeof optionsOrFn !== 'object' || optionsOrFn === null) throw contractError(pluginName, `hooks.${hook}.tap takes a name or options { name, stage } before the function`, example);
  // tapable's `before` has changed meaning between releases; stages say the same thing in one way.
  const unknown = Object.keys(optionsOrFn).filter((k) => k !== 'stage' && k !== 'name');
  if (unknown.length > 0) throw contractError(pluginName, `hooks.${hook}.tap options take only "name" and "stage", not ${unknown.map((k) => `"${k}"`).join(', ')}`, example);
  const { stage, name } = optionsOrFn as TapOptions;
  if (name !== undefined && typeof name !== 'string') throw contractError(pluginName, `hooks.${hook}.tap has a name that is not a string`, example);
  if ('stage' in optionsOrFn && (typeof stage !== 'number' || !Number.isFinite(stage))) {
    throw contractError(pluginName, `hooks.${hook}.tap has the stage ${String(stage)}, not a finite number (a misspelt api.stages name gives undefined)`, example);
  }
  return { stage: stage ?? STAGE.FEATURE, fn: fn as (...args: unknown[]) => unknown };
}

/**
 * The tap side for one plugin, where the plugin contract is enforced: every tap carries the
 * plugin's name; a throw becomes a PluginError naming plugin and hook; each waterfall tap gets a
 * frozen value and its result is checked right after it runs; actions are validated and
 * attributed to the plugin that declared them; an unknown hook name is named.
 */
/** The hooks whose EnvboxError is reported as it is: checks of the outer container, not plugin crashes. */
const FINDING_HOOKS: ReadonlySet<HookName> = new Set(['daemonIdentity', 'preflight']);

export function pluginHooks(hooks: EnvboxHooks, pluginName: string): PluginHooks {
  const facade = {} as Record<HookName, HookTap<HookName>>;
  for (const name of HOOK_NAMES) {
    const hook = hooks[name];
    // tapable's hook classes are factories with a null prototype: `constructor` is what tells them apart.
    const waterfall = hook.constructor === AsyncSeriesWaterfallHook;
    const sync = hook.constructor === SyncHook;
    const tap = (optionsOrFn: unknown, maybeFn?: unknown): void => {
      const { stage, fn } = tapArguments(pluginName, name, optionsOrFn, maybeFn);
      const invoke = (args: unknown[]) => {
        const last = args.length - 1;
        const tapArgs = args.map((arg, i) => (i === last ? pluginContext(pluginName, name, arg) : waterfall && i === 0 ? deepFreeze(arg) : arg));
        return inTap({ plugin: pluginName, hook: name }, () => fn(...tapArgs));
      };
      if (sync) {
        (hook as SyncHook<unknown[]>).tap({ name: pluginName, stage }, (...args: unknown[]) => {
          let failure: PluginError | undefined;
          try {
            const result = invoke(args);
            if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
              (result as Promise<unknown>).then(undefined, () => undefined);
              failure = new PluginError(pluginName, name, new TypeError(`a ${name} tap must be synchronous; it returned a promise`));
            }
          } catch (error) {
            failure = error instanceof PluginError ? error : new PluginError(pluginName, name, asError(error));
          }
          if (!failure) return;
          const errors = (args.at(-1) as Record<symbol, PluginError[]> | undefined)?.[ERRORS];
          if (!errors) throw failure;
          errors.push(failure);
        });
        return;
      }
      (hook as AsyncSeriesHook<unknown[]>).tapPromise({ name: pluginName, stage }, (async (...args: unknown[]) => {
        let result: unknown;
        try {
          result = await invoke(args);
        } catch (error) {
          const collected = (args.at(-1) as Record<symbol, CollectedProblems> | undefined)?.[PROBLEMS];
          if (collected && waterfall) {
            if (error instanceof InputError) collected.problems.push(...error.problems);
            else collected.crashes.push(error instanceof PluginError ? error : new PluginError(pluginName, name, asError(error)));
            return args[0];
          }
          // Bad input stays an InputError (exit 2): its message already names the variable. A finding
          // about the outer container (an EnvboxError from preflight, or from daemonIdentity reading its
          // users) is the operator's to act on, not a crash: its message and hint stay whole.
          if (error instanceof PluginError || error instanceof InputError) throw error;
          if (FINDING_HOOKS.has(name) && error instanceof EnvboxError) throw error;
          throw new PluginError(pluginName, name, asError(error));
        }
        if (!waterfall) return undefined;
        if (stage >= STAGE.CHECK && result !== args[0]) {
          throw new PluginError(pluginName, name, new TypeError(`a ${name} tap at stage ${stage} (api.stages.CHECK or later) may refuse the value by throwing, not change it: return the value it was given, or tap at api.stages.POLICY to change it`));
        }
        const problem = checkResult(name, result);
        if (problem !== null) throw new PluginError(pluginName, name, new TypeError(problem));
        return result;
      }) as never);
    };
    facade[name] = {
      tap,
      tapPromise(optionsOrFn: unknown, maybeFn?: unknown) {
        if (sync) throw contractError(pluginName, `hooks.${name} is a synchronous hook: tapPromise does not apply`, `api.hooks.${name}.tap('${pluginName}', (value, ctx) => { ... })`);
        tap(optionsOrFn, maybeFn);
      },
    };
  }
  const frozen = Object.freeze(facade);
  return new Proxy(frozen, {
    get(target, property, receiver) {
      if (typeof property === 'symbol' || property in target) return Reflect.get(target, property, receiver) as unknown;
      if (property === 'then' || property === 'toJSON') return undefined;
      throw contractError(pluginName, `api.hooks.${property} is not a hook${didYouMean(property, HOOK_NAMES)}; the hooks are ${HOOK_NAMES.join(', ')}`,
        'api.hooks.postStart.tap(async (ctx) => { ... })');
    },
  }) as unknown as PluginHooks;
}
