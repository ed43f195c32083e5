import type { App } from '../app.js';
import type { DockerClient, StreamingExec } from '../../kernel/docker-client.js';
import type { DaemonLauncher, DaemonSet } from '../daemon/managed-daemon.js';
import { waitForPing } from '../daemon/wait.js';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, EnvboxError, InputError, messageOf } from '../../kernel/errors.js';
import { assertHostIds, probeImageFacts } from '../read-image-facts.js';
import {
  bootstrapLogLimit, bootstrapScript, daemonTimeout, disableIdmappedMount, dockerDataRoot, dockerFallbackDataRoot, dockerHost, dockerSocket, dockerdLog, idOffset,
  innerImage, innerUsername, pruneImages, pullPolicy, runtime, shutdownTimeout,
} from '../../kernel/inputs/core-inputs.js';
import type { ActionRunner } from '../perform-actions.js';
import { StopRequested, abortable } from './abort.js';
import { reportMemoryLater } from './memory-report.js';
import { startBootstrap } from './bootstrap.js';
import {
  exitContext, failedContext, planContainer, planDaemon, planPull, postPullActions, runPreflight, shutdownContext, startActions, startedContext,
} from './run-hooks.js';
import { dataRootProblem } from './data-root.js';
import { NO_SPACE, NoSpaceError, pullWithRetry } from './pull.js';
import type { StatusReporter } from './status-reporter.js';
import { CONTAINER_STOP_SECONDS } from './shutdown-budget.js';

interface DockerDeps {
  connect(host: string): DockerClient;
  launcher: DaemonLauncher;
  actions: ActionRunner;
  status: StatusReporter;
  /** Aborted with a StopRequested on SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Writes the failure paragraph for Kubernetes and returns it. */
  reportFailure(error: unknown): string;
  /** Sends a signal to a host pid (the bootstrap process). */
  kill(pid: number, signal: NodeJS.Signals): void;
}

const EXTERNAL_PING_TIMEOUT_MS = 30_000;

/** What the run has started so far: what a shutdown or a cleanup must stop. */
interface StartedSoFar {
  daemons: DaemonSet | null;
  docker: DockerClient | null;
  containerId: string | null;
  bootstrap: StreamingExec | null;
  /** Work left running in dockerd (the image-facts probe's removal), finished before the daemons stop. */
  background: Array<Promise<unknown>>;
}

/**
 * `envbox docker`: the main job, in order. Resolves with the process exit code once the `exit` hook
 * has run, after the last build-log line, so that a plugin that sends lines elsewhere sends that one too.
 */
export async function runDocker(app: App, deps: DockerDeps): Promise<number> {
  const code = await runUntilStopped(app, deps);
  await app.hooks.exit.promise(exitContext(app, code))
    .catch((error: unknown) => app.log.warn({ error: app.buildLog.scrub(messageOf(error)) }, 'an exit hook failed'));
  return code;
}

async function runUntilStopped(app: App, deps: DockerDeps): Promise<number> {
  const { options, buildLog, log, hooks } = app;
  const started: StartedSoFar = { daemons: null, docker: null, containerId: null, bootstrap: null, background: [] };
  const signal = deps.signal;
  const managed = options.get(dockerHost) === undefined;

  const startDaemon = async (fallback: boolean): Promise<void> => {
    // Every hook before the start races the stop: a tap that never settles (a site plugin's, a read stuck
    // somewhere) must not keep SIGTERM waiting past the shutdown budget.
    const plan = await abortable(planDaemon(app, { fallback }), signal);
    if (!fallback) {
      const problem = dataRootProblem(options.get(dockerDataRoot), await app.host.mounts());
      if (problem) {
        throw new EnvboxError(problem, `Give ${options.get(dockerDataRoot)} (${dockerDataRoot.env}) a volume on a local filesystem (an emptyDir, a hostPath, or a block-storage PVC such as ext4 or xfs), not NFS; coder/envbox refuses NFS there too.`);
      }
    }
    await deps.actions.run(plan.actions);
    if (fallback && started.daemons) await started.daemons.restartDockerd(plan.spawnArgv, plan.launch.env);
    else {
      if (options.get(runtime) === 'sysbox-runc') buildLog.info('Waiting for sysbox processes to start up...');
      started.daemons = await abortable(deps.launcher.start({
        dockerdArgv: plan.spawnArgv,
        dockerdEnv: plan.launch.env,
        sysbox: { enabled: options.get(runtime) === 'sysbox-runc', disableIdmappedMount: options.get(disableIdmappedMount) },
        logFile: options.get(dockerdLog),
        withoutEnv: options.secretEnvNames(),
      }), signal);
    }
    buildLog.info('Waiting for dockerd to start up...');
    const daemons = started.daemons!;
    const docker = started.docker ?? deps.connect(`unix://${options.get(dockerSocket)}`);
    started.docker = docker;
    try {
      await waitForPing(() => docker.ping(), { timeoutMs: options.get(daemonTimeout) * 1000, exited: daemons.unexpectedExit, signal });
    } catch (error) {
      if (!fallback && daemons.dockerd.noSpace) throw new NoSpaceError(`dockerd could not start: no space left on device`, undefined, { cause: error });
      throw error;
    }
  };

  let onVfs = false;
  /** A full disk: restart dockerd with the vfs driver on the fallback data root (as the original does). */
  const fallBackToVfs = async (): Promise<void> => {
    buildLog.info('Insufficient space to start dockerd or the workspace. Restarting dockerd with the vfs driver on the fallback data root; performance will be degraded. Clean up your home volume and restart the workspace to improve it.');
    onVfs = true;
    await startDaemon(true);
  };

  // A daemon envbox did not start may hold other people's images: it is not ours to clean.
  const mayPrune = options.get(pruneImages) ?? managed;
  const pullImage = async (): Promise<void> => {
    const { pull, actions } = await abortable(planPull(app), signal);
    await deps.actions.run(actions);
    const prune = mayPrune ? { prune: () => started.docker!.pruneImages() } : {};
    await abortable(pullWithRetry(started.docker!, pull, buildLog, log, { policy: options.get(pullPolicy), signal, ...prune }), signal);
  };

  /** From the pull to the started container: what a full disk can stop, and what the vfs fallback repeats whole. */
  const pullCreateStart = async (docker: DockerClient) => {
    deps.status.enter('pulling');
    await pullImage();
    await deps.actions.run(postPullActions(app));

    buildLog.info('Getting image metadata...');
    const { facts, removed } = await abortable(probeImageFacts(docker, options.get(innerImage).raw, options.get(innerUsername), options.get(runtime)), signal);
    started.background.push(removed);
    assertHostIds(facts, options.get(idOffset), options.get(innerImage).raw, options.get(innerUsername));
    buildLog.info(`Detected entrypoint user '${facts.uid}:${facts.gid}' with home directory "${facts.home}"`);

    deps.status.enter('creating');
    buildLog.info('Creating workspace...');
    const container = await abortable(planContainer(app, facts), signal);
    await deps.actions.run(container.actions);
    await docker.removeContainer(container.name);
    const containerId = await docker.createContainer(container.name, container.body);
    started.containerId = containerId;
    deps.status.setContainerId(containerId);
    if (mayPrune) {
      buildLog.info('Pruning images to free up disk...');
      await docker.pruneImages().catch((error: unknown) => buildLog.info(`Pruning images failed (not fatal): ${messageOf(error)}`));
    } else if (!managed) {
      buildLog.info(`Not pruning images on the daemon at ${options.get(dockerHost)}, which envbox does not manage (set ENVBOX_PRUNE_IMAGES=true to prune it).`);
    }
    const startedCtx = startedContext(app, { containerId, containerName: container.name, facts, docker, signal });
    await abortable(hooks.preStart.promise(startedCtx), signal);
    buildLog.info('Starting up workspace...');
    await docker.startContainer(containerId);
    return { containerId, facts, startedCtx };
  };

  buildLog.onWarning((text) => deps.status.warn(text));
  try {
    // Before anything starts, and racing the stop as every hook before the start does.
    await abortable(runPreflight(app), signal);
    await deps.actions.run(startActions(app));
    deps.status.enter('starting-daemon');
    if (managed) {
      try {
        await startDaemon(false);
      } catch (error) {
        if (!(error instanceof NoSpaceError)) throw error;
        await fallBackToVfs();
      }
    } else {
      buildLog.info(`Using the existing Docker daemon at ${options.get(dockerHost)} (ENVBOX_DOCKER_HOST); starting no daemon.`);
      const docker = deps.connect(options.get(dockerHost)!);
      started.docker = docker;
      await waitForPing(() => docker.ping(), { timeoutMs: EXTERNAL_PING_TIMEOUT_MS, signal });
    }
    const docker = started.docker!;

    let workspace: Awaited<ReturnType<typeof pullCreateStart>>;
    try {
      workspace = await pullCreateStart(docker).catch(asDiskFull(app, managed && !onVfs));
    } catch (error) {
      if (!(error instanceof NoSpaceError) || !managed || onVfs) throw error;
      // The old daemon's container and probe are gone with its data root.
      started.containerId = null;
      await fallBackToVfs();
      workspace = await pullCreateStart(docker).catch(asDiskFull(app, false));
    }
    const { containerId, facts, startedCtx } = workspace;
    const containerExit = docker.waitContainer(containerId);

    await abortable(hooks.postStart.promise(startedCtx), signal);

    const script = options.get(bootstrapScript);
    if (script) {
      deps.status.enter('bootstrapping');
      started.bootstrap = await startBootstrap(docker, containerId, facts, script, buildLog, log, options.get(bootstrapLogLimit));
    }
    deps.status.enter('ready');
    buildLog.info('Envbox startup complete!');
    buildLog.done(deps.status.summary());
    reportMemoryLater(log);

    const stopped = new Promise<'signal'>((resolve) => {
      if (signal.aborted) resolve('signal');
      signal.addEventListener('abort', () => resolve('signal'), { once: true });
    });
    const outcome = await Promise.race([
      stopped,
      containerExit.then((code) => ({ exited: code }), (error: unknown) => ({ exited: -1, error: messageOf(error) })),
      started.daemons ? started.daemons.unexpectedExit.then((reason) => ({ daemon: reason })) : new Promise<never>(() => undefined),
    ]);
    if (outcome === 'signal') {
      await shutdown(app, deps, started, (signal.reason as StopRequested).signalName);
      return 0;
    }
    started.containerId = null;
    if ('daemon' in outcome) throw new EnvboxError(`the Docker daemon stopped while the workspace was running: ${outcome.daemon}`);
    throw new EnvboxError(`the workspace container exited with code ${outcome.exited}${describeExitCode(outcome.exited)}`,
      'The workspace stops when its main process ends: check the image entrypoint (/sbin/init) and the workspace logs, or whether something stopped the container.');
  } catch (error) {
    if (error instanceof StopRequested) {
      buildLog.info(`Stopping (${error.signalName}) before the workspace was ready...`);
      await shutdown(app, deps, started, error.signalName);
      return 0;
    }
    const paragraph = deps.reportFailure(error);
    buildLog.error(paragraph);
    deps.status.fail(paragraph);
    await hooks.failed.promise(failedContext(app, error, paragraph, started.containerId))
      .catch((hookError: unknown) => buildLog.warn(messageOf(hookError)));
    await cleanup(app, started);
    // Input that only the image can prove wrong (an init image in rootless mode) is still bad input.
    return error instanceof InputError ? EXIT_INVALID_INPUT : EXIT_FAILURE;
  }
}

/**
 * A full disk anywhere from the pull to the start (the pull after its prune, the probe, create, start):
 * a NoSpaceError while the vfs fallback is still to come, else an error that says what is full and what to do.
 */
function asDiskFull(app: App, fallbackToCome: boolean): (error: unknown) => never {
  return (error) => {
    if (error instanceof StopRequested || !NO_SPACE.test(messageOf(error))) throw error;
    if (fallbackToCome) throw error instanceof NoSpaceError ? error : new NoSpaceError(messageOf(error), undefined, { cause: error });
    const { options } = app;
    const host = options.get(dockerHost);
    const hint = host === undefined
      ? `dockerd already runs with the vfs driver on ${options.get(dockerFallbackDataRoot)} (${dockerFallbackDataRoot.env})${options.get(pruneImages) === false ? '' : ', after pruning unused images'}. `
        + `Free space on the volumes of ${options.get(dockerDataRoot)} and ${options.get(dockerFallbackDataRoot)} (the home volume often holds old images and build caches), or give them more room, then restart the workspace.`
      : `The daemon at ${host} (${dockerHost.env}) is not envbox's, so envbox does not restart it with vfs${options.get(pruneImages) ? '' : ` or prune it (${pruneImages.env}=true would)`}. `
        + 'Free space on its data root (docker image prune -a, docker system prune), then restart the workspace.';
    throw new EnvboxError(`the disk is full: ${messageOf(error)}`, hint, { cause: error });
  };
}

function describeExitCode(code: number): string {
  if (code === 137) return ' (killed: SIGKILL, e.g. docker kill or the OOM killer)';
  if (code === 143) return ' (terminated: SIGTERM)';
  if (code > 128 && code < 160) return ` (killed by signal ${code - 128})`;
  return '';
}

/** Times each step of a stop, for one build-log line: where a slow stop spends its time. */
class StopClock {
  private readonly began = performance.now();
  private readonly steps: Array<[string, number]> = [];

  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.steps.push([step, performance.now() - start]);
    }
  }

  /** "stopped in 4.31 s: shutdown hooks 0.00 s, bootstrap 0.02 s, container 4.12 s, daemons 0.16 s" */
  summary(): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    return `stopped in ${s(performance.now() - this.began)}: ${this.steps.map(([step, ms]) => `${step} ${s(ms)}`).join(', ')}`;
  }
}

/**
 * SIGTERM to the bootstrap process, wait, stop the container, stop the daemons, in that order:
 * the workspace's processes go first and dockerd last, so nothing the workspace writes is lost.
 */
async function shutdown(app: App, deps: DockerDeps, started: StartedSoFar, signalName: string): Promise<void> {
  const { buildLog, log, options } = app;
  const clock = new StopClock();
  deps.status.enter('stopping');
  buildLog.info(`Received ${signalName}; shutting down the workspace...`);
  await clock.time('shutdown hooks', () => app.hooks.shutdown.promise(shutdownContext(app, signalName, started.containerId))
    .catch((error: unknown) => buildLog.warn(messageOf(error))));
  if (started.bootstrap && started.docker) {
    const { bootstrap, docker } = started;
    await clock.time('bootstrap', async () => {
      try {
        const pid = await docker.execPid(bootstrap.id);
        if (pid > 0) {
          deps.kill(pid, 'SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), options.get(shutdownTimeout) * 1000); });
          const result = await Promise.race([bootstrap.exited.catch(() => -1), timeout]);
          clearTimeout(timer);
          log.debug({ result }, 'bootstrap after SIGTERM');
        }
      } catch (error) {
        log.warn({ error: messageOf(error) }, 'could not signal the bootstrap process');
      }
    });
  }
  await cleanup(app, started, clock);
  buildLog.info(clock.summary());
}

async function cleanup(app: App, started: StartedSoFar, clock?: StopClock): Promise<void> {
  const step = <T>(name: string, work: () => Promise<T>) => (clock ? clock.time(name, work) : work());
  if (started.containerId && started.docker) {
    const { containerId, docker } = started;
    await step('container', () => docker.stopContainer(containerId, CONTAINER_STOP_SECONDS)
      .catch((error: unknown) => app.log.warn({ error: messageOf(error) }, 'stop container failed')));
  }
  if (started.daemons) {
    const daemons = started.daemons;
    await Promise.all(started.background);
    await step('daemons', () => daemons.stopAll());
  }
}
