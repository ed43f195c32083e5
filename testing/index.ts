/**
 * `envbox/testing`: run one hook, or the whole plan, with a given set of plugins, options and
 * image facts, the way Vite's plugin tests call one hook with a small context. No Docker, no root,
 * no daemon. Every context is built by the same functions `envbox plan` and `envbox docker` use
 * (core/engine/app.ts and core/engine/lifecycle/run-hooks.ts), so a plugin that passes here meets the same hooks,
 * the same frozen bodies and the same contract checks in production.
 */
import { describeAction, type Action } from '../core/kernel/actions.js';
import { declaredEnvNames, prepareApp, type App } from '../core/engine/app.js';
import { recordingEnvReads, undeclaredEnvWarnings } from '../core/kernel/env-reads.js';
import { messageOf } from '../core/kernel/errors.js';
import type { ImageFacts } from '../core/kernel/image-facts.js';
import type { DaemonIdentity } from '../core/kernel/daemon-identity.js';
import type { DaemonLaunch, DaemonSpec, Mode, PullSpec } from '../core/kernel/hooks.js';
import type { HostView } from '../core/kernel/host-view.js';
import type { OptionValues } from '../core/kernel/inputs/options.js';
import {
  daemonIdentity, failedContext, planContainer, planDaemon, planPull, runPreflight as runCorePreflight, shutdownContext, startedContext,
} from '../core/engine/lifecycle/run-hooks.js';
import { runPlan as runCorePlan } from '../core/engine/lifecycle/plan.js';
import { failureParagraph } from '../core/engine/status/hints.js';
import type { BuildLogEntry } from '../core/kernel/build-log.js';
import type { EnvboxPlugin } from '../core/kernel/plugin.js';
import type { ContainerCreateBody } from '../core/kernel/container-spec/types.js';
import { builtinPlugins } from '../plugins/index.js';
import { FakeDocker } from './fake-docker.js';
import { MemoryHost } from './memory-host.js';

export { FakeDocker, type Call } from './fake-docker.js';
export { MemoryHost } from './memory-host.js';

/** The two required inputs, so that a test sets only what it is about. */
export const REQUIRED_ENV: Readonly<Record<string, string>> = Object.freeze({ CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' });

/** An Ubuntu image whose user `coder` is 1000:1000 with home /home/coder, without /sbin/init. */
export const ubuntuFacts: ImageFacts = Object.freeze({ uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' });

export interface TestRun {
  /** Env vars, as a pod would set them; CODER_INNER_IMAGE and CODER_INNER_USERNAME default to ubuntu and coder. */
  env?: Record<string, string>;
  /** Option defaults as a config file gives them, by key: `{ cpus: 2 }`. */
  options?: Record<string, unknown>;
  /** Command-line flags: `['--cpus=2']`. */
  argv?: string[];
  /** Also register envbox's built-in plugins, first, as `envbox docker` does. Default: only `plugins`. */
  builtins?: boolean;
  /** Built-ins to leave out (with `builtins: true`), as a config's `disable`. */
  disable?: string[];
  /** The outer container as plugins see it; default: a MemoryHost holding `env`. */
  host?: HostView;
  /** The image facts; default `ubuntuFacts`. */
  facts?: ImageFacts;
  /** Shorthand for ENVBOX_RUNTIME. */
  runtime?: string;
  mode?: Mode;
}

export interface Tested {
  app: App;
  options: OptionValues;
  /** Every build-log line written so far, scrubbed, as envbox writes them to stderr. */
  buildLog: BuildLogEntry[];
}

function testEnv(run: TestRun): Record<string, string> {
  return { ...REQUIRED_ENV, ...(run.runtime ? { ENVBOX_RUNTIME: run.runtime } : {}), ...run.env };
}

/**
 * While a run's hooks go, plugins see the test's env as `process.env`, not the caller's shell; a plugin
 * that reads a name no input declares gets a warning in the build log, as `envbox plan` gives it.
 */
async function isolated<T extends Tested>(run: TestRun, work: () => Promise<T>): Promise<T> {
  return recordingEnvReads(testEnv(run), async (reads) => {
    const tested = await work();
    for (const warning of undeclaredEnvWarnings(reads, declaredEnvNames(tested.app.plugins))) tested.app.buildLog.warn(warning);
    return tested;
  });
}

/**
 * Registers the plugins and resolves every input exactly as `envbox` does, `configure` included.
 * Rejects with an InputError (exit 2 in envbox) or a PluginError naming the plugin and the hook.
 */
export async function prepareTest(plugins: readonly EnvboxPlugin[], run: TestRun = {}): Promise<Tested> {
  const env = testEnv(run);
  const buildLog: BuildLogEntry[] = [];
  const stderr = { write(text: string) { for (const line of text.split('\n').filter(Boolean)) buildLog.push(JSON.parse(line) as BuildLogEntry); return true; } };
  const config = {
    file: 'envbox.config (test)',
    options: run.options ?? {},
    plugins: [...plugins],
    sources: plugins.map((p, i) => `plugins[${i}] ("${p.name}") in the test`),
    disable: run.disable ?? [],
  };
  const app = await prepareApp({
    mode: run.mode ?? 'plan', argv: run.argv ?? [], env, cwd: process.cwd(), config,
    host: run.host ?? new MemoryHost({ ...env }), stderr, builtins: run.builtins ? builtinPlugins() : [],
  });
  return { app, options: app.options, buildLog };
}

export interface WithActions {
  /** What the taps declared, each with the plugin and hook that declared it. */
  actions: Action[];
}

/** `configure`: the resolved options, after every plugin's configure tap. */
export async function runConfigure(plugins: readonly EnvboxPlugin[], run: TestRun = {}): Promise<Tested> {
  return isolated(run, () => prepareTest(plugins, run));
}

/**
 * `preDaemon`, over the dockerd command line envbox builds from the inputs, then `daemonLaunch`: `daemon` is
 * the command line, `launch` how it is spawned, `spawnArgv` what is spawned (behind the cgroup-v2 wrapper if kept).
 */
export async function runPreDaemon(
  plugins: readonly EnvboxPlugin[], run: TestRun = {},
): Promise<Tested & WithActions & { daemon: DaemonSpec; launch: DaemonLaunch; spawnArgv: string[] }> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, run);
    const { spec, launch, spawnArgv, actions } = await planDaemon(tested.app);
    return { ...tested, daemon: spec, launch, spawnArgv, actions };
  });
}

/**
 * `daemonIdentity`, then `preflight` as `envbox docker` runs it before anything starts. Rejects with what a
 * check threw: an EnvboxError as it is (exit 1 in envbox), anything else as a PluginError naming the plugin.
 */
export async function runPreflight(plugins: readonly EnvboxPlugin[], run: TestRun = {}): Promise<Tested & { identity: DaemonIdentity }> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, { mode: 'docker', ...run });
    await runCorePreflight(tested.app);
    return { ...tested, identity: await daemonIdentity(tested.app) };
  });
}

/** `prePull`: what is pulled and with which credentials. */
export async function runPrePull(plugins: readonly EnvboxPlugin[], run: TestRun = {}): Promise<Tested & WithActions & { pull: PullSpec }> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, run);
    const { pull, actions } = await planPull(tested.app);
    return { ...tested, pull, actions };
  });
}

/** `containerSpec`, from envbox's initial body or from `body` (to check that an edit is idempotent, pass a result back in). */
export async function runContainerSpec(
  plugins: readonly EnvboxPlugin[], run: TestRun & { body?: ContainerCreateBody } = {},
): Promise<Tested & WithActions & { body: ContainerCreateBody }> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, run);
    const { body, actions } = await planContainer(tested.app, run.facts ?? ubuntuFacts, run.body);
    return { ...tested, body, actions };
  });
}

/** `postStart` in `docker` mode, against a FakeDocker that records every call (`docker.execs()`). */
export async function runPostStart(
  plugins: readonly EnvboxPlugin[], run: TestRun & { docker?: FakeDocker; containerId?: string } = {},
): Promise<Tested & { docker: FakeDocker }> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, { ...run, mode: 'docker' });
    const docker = run.docker ?? new FakeDocker();
    const running = {
      containerId: run.containerId ?? 'id-workspace_cvm', containerName: 'workspace_cvm', facts: run.facts ?? ubuntuFacts,
      docker, signal: new AbortController().signal,
    };
    await tested.app.hooks.postStart.promise(startedContext(tested.app, running));
    return { ...tested, docker };
  });
}

/** `shutdown`, as on SIGTERM. */
export async function runShutdown(plugins: readonly EnvboxPlugin[], run: TestRun & { reason?: string; containerId?: string | null } = {}): Promise<Tested> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, { ...run, mode: 'docker' });
    await tested.app.hooks.shutdown.promise(shutdownContext(tested.app, run.reason ?? 'SIGTERM', run.containerId ?? 'id-workspace_cvm'));
    return tested;
  });
}

/** `failed`, as after a runtime failure: `message` is the paragraph envbox would report for `error`. */
export async function runFailed(plugins: readonly EnvboxPlugin[], run: TestRun & { error?: unknown; containerId?: string | null } = {}): Promise<Tested> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, { ...run, mode: 'docker' });
    const error = run.error ?? new Error('the workspace container exited with code 1');
    const message = tested.app.buildLog.scrub(failureParagraph(error));
    // As in envbox docker: the failure is in the build log before any `failed` tap runs, and a tap's own failure is a warning.
    tested.app.buildLog.error(message);
    await tested.app.hooks.failed.promise(failedContext(tested.app, error, message, run.containerId ?? null))
      .catch((hookError: unknown) => tested.app.buildLog.warn(messageOf(hookError)));
    return tested;
  });
}

/** `buildLog`: writes `lines` to the build log, as envbox does, so that each reaches the plugins' taps (scrubbed). */
export async function runBuildLog(plugins: readonly EnvboxPlugin[], run: TestRun & { lines: readonly string[] }): Promise<Tested> {
  return isolated(run, async () => {
    const tested = await prepareTest(plugins, run);
    for (const line of run.lines) tested.app.buildLog.info(line);
    return tested;
  });
}

export interface PlanDocument {
  daemon: { managed: true; argv: string[]; env: Record<string, string>; sysbox: { mgr: string[]; fs: string[] } | null } | { managed: false; host: string };
  pull: { image: string; registry: string; auth: Record<string, string> | null };
  facts: ImageFacts;
  container: { name: string; create: ContainerCreateBody };
  actions: Action[];
}

/** The whole `envbox plan` document, as `envbox plan` prints it (secrets redacted), with the given facts. */
export async function runPlan(plugins: readonly EnvboxPlugin[], run: TestRun = {}): Promise<Tested & { plan: PlanDocument }> {
  return isolated(run, async () => {
    const env = { ENVBOX_IMAGE_FACTS: JSON.stringify(run.facts ?? ubuntuFacts), ...run.env };
    const tested = await prepareTest(plugins, { ...run, env });
    const text = await runCorePlan(tested.app, () => { throw new Error('envbox/testing gives image facts; no daemon is needed'); });
    return { ...tested, plan: JSON.parse(text) as PlanDocument };
  });
}

/** Actions as one readable line each, `plugin/hook: chown 101000:101000 /home/coder`, for assertions. */
export function describeActions(actions: readonly Action[]): string[] {
  return actions.map((a) => `${a.plugin}/${a.hook}: ${describeAction(a)}${a.bestEffort ? ' (best effort)' : ''}`);
}

/** The actions one plugin declared. */
export function actionsOf(actions: readonly Action[], plugin: string): Action[] {
  return actions.filter((a) => a.plugin === plugin);
}

/**
 * An outer container ready for ENVBOX_ROOTLESS, as the unprivileged pod of examples/kubernetes gives
 * it: the user envbox (1001:1001, home /home/envbox) with subordinate ids 10000-65535, /dev/net/tun
 * and /dev/fuse, no seccomp filter, /proc unmasked, newuidmap/newgidmap file-capped. Remove or change
 * one part to test what happens without it.
 */
export function rootlessHost(env: Record<string, string> = {}): MemoryHost {
  return new MemoryHost({ ...REQUIRED_ENV, ENVBOX_ROOTLESS: 'true', ...env })
    .file('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\ncoder:x:1000:1000::/home/coder:/bin/bash\nenvbox:x:1001:1001::/home/envbox:/usr/sbin/nologin\n')
    .file('/etc/subuid', 'coder:100000:65536\nenvbox:10000:55536\n')
    .file('/etc/subgid', 'coder:100000:65536\nenvbox:10000:55536\n')
    // A pod with hostUsers: false: 65536 ids of the node.
    .file('/proc/self/uid_map', '         0  123469824      65536\n')
    .file('/proc/self/gid_map', '         0  123469824      65536\n')
    .charDevice('/dev/net/tun', 10, 200)
    .charDevice('/dev/fuse', 10, 229)
    .file('/proc/self/status', 'Name:\tnode\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n')
    .file('/usr/bin/newuidmap', '', 0o755).capabilities('/usr/bin/newuidmap', 'cap_setuid=ep')
    .file('/usr/bin/newgidmap', '', 0o755).capabilities('/usr/bin/newgidmap', 'cap_setgid=ep')
    .link('eth0', 1450);
}
