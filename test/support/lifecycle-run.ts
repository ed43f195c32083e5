import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareApp, type App } from '../../core/engine/app.js';
import type { BuildLogEntry } from '../../core/kernel/build-log.js';
import { StopRequested } from '../../core/engine/lifecycle/abort.js';
import { runDocker } from '../../core/engine/lifecycle/docker.js';
import type { Phase, StatusReporter } from '../../core/engine/lifecycle/status-reporter.js';
import { failureParagraph } from '../../core/engine/status/index.js';
import type { EnvboxPlugin } from '../../core/kernel/plugin.js';
import { builtinPlugins } from '../../plugins/index.js';
import { FakeDocker, FakeLauncher, RecordingActions } from './fake-docker.js';
import { MemoryHost } from '../../testing/memory-host.js';

export const BASE_ENV = {
  CODER_INNER_IMAGE: 'registry.test:5000/workspace:init',
  CODER_INNER_USERNAME: 'coder',
  CODER_AGENT_TOKEN: 'token-abc-123',
  ENVBOX_RUNTIME: 'runc',
};

export class RecordingStatus implements StatusReporter {
  readonly phases: Phase[] = [];
  containerId: string | null = null;
  failure: string | null = null;
  readonly warnings: string[] = [];
  enter(phase: Phase) { this.phases.push(phase); }
  setContainerId(id: string) { this.containerId = id; }
  fail(message: string) { this.failure = message; this.phases.push('failed'); }
  warn(text: string) { this.warnings.push(text); }
  summary() { return 'ready in 0.1 s'; }
}

export interface LifecycleRun<S extends StatusReporter = RecordingStatus> {
  app: App;
  docker: FakeDocker;
  launcher: FakeLauncher;
  actions: RecordingActions;
  status: S;
  log: BuildLogEntry[];
  killed: [number, string][];
  /** Resolves with envbox's exit code. */
  exit: Promise<number>;
  stop(signal?: 'SIGTERM' | 'SIGINT'): void;
  untilLine(match: RegExp | ((e: BuildLogEntry) => boolean)): Promise<BuildLogEntry>;
}

/** Builds the app exactly as the CLI does, but with a fake daemon and Docker behind it. */
export async function prepare(env: Record<string, string>, options: { plugins?: EnvboxPlugin[]; host?: MemoryHost; mode?: 'docker' | 'plan' } = {}) {
  const fullEnv = { ...BASE_ENV, ENVBOX_CGROUP_ROOT: join(mkdtempSync(join(tmpdir(), 'envbox-cg-')), 'none'), ...env };
  const host = options.host ?? new MemoryHost(fullEnv).link('eth0', 1400);
  host.env = fullEnv;
  const log: BuildLogEntry[] = [];
  const stderr = { write(text: string) { for (const line of text.split('\n').filter(Boolean)) log.push(JSON.parse(line) as BuildLogEntry); return true; } };
  const app = await prepareApp({
    mode: options.mode ?? 'docker', argv: [], env: fullEnv, cwd: mkdtempSync(join(tmpdir(), 'envbox-cwd-')), host, stderr,
    builtins: [...builtinPlugins(), ...(options.plugins ?? [])],
  });
  return { app, log };
}

interface LifecycleOptions {
  plugins?: EnvboxPlugin[];
  host?: MemoryHost;
  before?: (docker: FakeDocker, launcher: FakeLauncher) => void;
}

export function startLifecycle(env?: Record<string, string>, options?: LifecycleOptions): Promise<LifecycleRun>;
/** With a status reporter of the test's own (a real StatusTracker, say) instead of the recording one. */
export function startLifecycle<S extends StatusReporter>(env: Record<string, string>, options: LifecycleOptions & { status: S }): Promise<LifecycleRun<S>>;
export async function startLifecycle(env: Record<string, string> = {}, options: LifecycleOptions & { status?: StatusReporter } = {}): Promise<LifecycleRun<StatusReporter>> {
  const { app, log } = await prepare(env, options);
  const docker = new FakeDocker();
  const launcher = new FakeLauncher();
  options.before?.(docker, launcher);
  const actions = new RecordingActions();
  const status = options.status ?? new RecordingStatus();
  const controller = new AbortController();
  const killed: [number, string][] = [];
  const exit = runDocker(app, {
    connect: () => docker, launcher, actions, status, signal: controller.signal,
    reportFailure: (error) => app.buildLog.scrub(failureParagraph(error)),
    kill: (pid, signal) => { killed.push([pid, signal]); docker.finishBootstrap(143); },
  });
  const untilLine = async (match: RegExp | ((e: BuildLogEntry) => boolean)) => {
    const test = typeof match === 'function' ? match : (e: BuildLogEntry) => match.test(e.output);
    for (let i = 0; i < 500; i++) {
      const found = log.find(test);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`no build-log line matched ${String(match)}; saw:\n${log.map((e) => `${e.type}: ${e.output}`).join('\n')}`);
  };
  return { app, docker, launcher, actions, status, log, killed, exit, stop: (s = 'SIGTERM') => controller.abort(new StopRequested(s)), untilLine };
}
