import { activePlugins, collectInputs, declaredEnvNames, explicitConfigPath, prepareApp, type App } from '../core/engine/app.js';
import { recordingEnvReads, undeclaredEnvWarnings } from '../core/kernel/env-reads.js';
import { loadConfig } from '../core/kernel/config/load-config.js';
import type { DockerClient } from '../core/kernel/docker-client.js';
import { lazyDockerClient } from '../core/engine/docker/lazy-client.js';
import { processLauncher } from '../core/engine/daemon/managed-daemon.js';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InputError, messageOf } from '../core/kernel/errors.js';
import type { InputDef } from '../core/kernel/inputs/define.js';
import { statusFile, terminationLog } from '../core/kernel/inputs/core-inputs.js';
import { StopRequested, abortable } from '../core/engine/lifecycle/abort.js';
import { runDocker } from '../core/engine/lifecycle/docker.js';
import { runPlan } from '../core/engine/lifecycle/plan.js';
import { BuildLog } from '../core/kernel/build-log.js';
import { SecretScrubber } from '../core/kernel/scrub.js';
import { createActionRunner } from '../core/engine/perform-actions.js';
import { failureParagraph } from '../core/engine/status/hints.js';
import { writeTerminationMessage } from '../core/engine/status/termination.js';
import { StatusTracker } from '../core/engine/status/tracker.js';
import { builtinPlugins } from '../plugins/index.js';
import { reportCrashes, type CrashReporter } from './crash-report.js';
import { commandUsage } from './help.js';
import { earlyTerminationLogPath } from './termination-path.js';

function dockerClient(app: App): (host: string) => DockerClient {
  return (host) => lazyDockerClient(async () => {
    const { DockerodeClient } = await import('../core/engine/docker/dockerode-client.js');
    return new DockerodeClient(host, app.log);
  });
}

/** Where the CLI writes, and the one scrubber every byte it writes goes through. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
  secrets: SecretScrubber;
}

function defaultIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), secrets: new SecretScrubber() };
}

/** Only `docker` reports to Kubernetes: `plan` changes nothing, not even on bad input. */
function writeEarlyTermination(command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv, text: string): void {
  const path = command === 'docker' ? earlyTerminationLogPath(argv, env) : null;
  if (path !== null) writeTerminationMessage(path, text);
}

/** Invalid input: one error line per problem, the termination message (docker only), exit 2, nothing started. */
function reportInputError(error: InputError, command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): number {
  const log = new BuildLog(io.stderr, undefined, io.secrets);
  for (const line of error.message.split('\n')) log.error(line);
  writeEarlyTermination(command, argv, env, io.secrets.scrub(error.message));
  return EXIT_INVALID_INPUT;
}

let crashTarget: CrashReporter | undefined;

/**
 * How a crash is told once `envbox docker` has begun: the build log's `error` line and the
 * termination message, scrubbed like every other line.
 */
function crashReporter(): CrashReporter {
  return crashTarget ?? ((text) => process.stderr.write(`envbox: ${text}\n`));
}

function stopSignal(): AbortController {
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.on(name, () => {
      if (!controller.signal.aborted) controller.abort(new StopRequested(name));
    });
  }
  return controller;
}

function prepare(mode: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<App> {
  return prepareApp({ mode, argv, env, cwd: io.cwd, builtins: builtinPlugins(), stderr: io.stderr, secrets: io.secrets });
}

async function docker(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const controller = stopSignal();
  let ready: App | undefined;
  crashTarget = (text) => {
    // Before the app exists, the early scrubber and termination path; after, the app's own.
    const log = ready?.buildLog ?? new BuildLog(io.stderr, undefined, io.secrets);
    const scrubbed = ready ? ready.buildLog.scrub(text) : io.secrets.scrub(text);
    log.error(scrubbed);
    if (ready) writeTerminationMessage(ready.options.get(terminationLog), scrubbed);
    else writeEarlyTermination('docker', argv, env, scrubbed);
  };
  // A config or a configure tap that never settles must not keep SIGTERM waiting: the stop wins.
  const app = await abortable(prepare('docker', argv, env, io), controller.signal);
  ready = app;
  const status = new StatusTracker(app.options.get(statusFile));
  // Every way out but SIGKILL takes the ready marker with it (and the probe refuses a killed one's).
  process.once('exit', () => status.release());
  return runDocker(app, {
    connect: dockerClient(app),
    launcher: processLauncher(app.log, (text) => app.buildLog.scrub(text)),
    actions: createActionRunner(app.host, app.log, app.buildLog, controller.signal),
    status,
    signal: controller.signal,
    reportFailure(error) {
      const paragraph = app.buildLog.scrub(failureParagraph(error));
      writeTerminationMessage(app.options.get(terminationLog), paragraph);
      return paragraph;
    },
    kill: (pid, signal) => process.kill(pid, signal),
  });
}

/** `plan` also names the plugins that read settings from process.env around their declared inputs. */
async function plan(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  return recordingEnvReads(process.env, async (reads) => {
    const app = await prepare('plan', argv, env, io);
    io.stdout.write(`${await runPlan(app, dockerClient(app))}\n`);
    for (const warning of undeclaredEnvWarnings(reads, declaredEnvNames(app.plugins))) app.buildLog.warn(warning);
    return 0;
  });
}

/** The inputs `--help` lists: the built-ins that are not disabled, and those the config's site plugins add. */
async function helpInputs(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<{ defs: InputDef[]; note: string }> {
  const builtins = builtinPlugins();
  try {
    const config = await loadConfig(io.cwd, explicitConfigPath(argv, env));
    const plugins = activePlugins(builtins, config);
    return { defs: collectInputs(plugins), note: config.file ? `\nInputs of ${config.file} are included.\n` : '' };
  } catch (error) {
    return { defs: collectInputs(builtins), note: `\nThe config could not be loaded, so only the built-in inputs are listed: ${messageOf(error)}\n` };
  }
}

export async function runCommand(command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv, given?: CommandIo): Promise<number> {
  const io = given ?? defaultIo();
  // Only for the process's own run (main.ts passes no io): a test that calls this keeps its process's handlers.
  if (command === 'docker' && given === undefined) reportCrashes(crashReporter);
  if (argv.includes('--help') || argv.includes('-h')) {
    const { defs, note } = await helpInputs(argv, env, io);
    io.stdout.write(commandUsage(command, defs) + note);
    return 0;
  }
  try {
    return command === 'docker' ? await docker(argv, env, io) : await plan(argv, env, io);
  } catch (error) {
    if (error instanceof InputError) return reportInputError(error, command, argv, env, io);
    if (error instanceof StopRequested) {
      // Nothing was started yet, so there is nothing to stop: a requested stop, exit 0.
      new BuildLog(io.stderr, undefined, io.secrets).info(`Stopped (${error.signalName}) while reading the inputs and the config; nothing was started.`);
      return 0;
    }
    // Failures before the lifecycle owns reporting (config plugins, plan): one clear error line,
    // scrubbed like every other: a site plugin's error may quote the container's Env.
    const paragraph = io.secrets.scrub(failureParagraph(error));
    new BuildLog(io.stderr, undefined, io.secrets).error(paragraph);
    writeEarlyTermination(command, argv, env, paragraph);
    return EXIT_FAILURE;
  }
}
