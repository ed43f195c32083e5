import { collectInputs, prepareApp, type App } from '../core/app.js';
import type { DockerClient } from '../core/docker/client.js';
import { lazyDockerClient } from '../core/docker/lazy-client.js';
import { processLauncher } from '../core/daemon/managed-daemon.js';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InputError } from '../core/errors.js';
import { agentToken, statusFile, terminationLog } from '../core/inputs/core-inputs.js';
import { StopRequested } from '../core/lifecycle/abort.js';
import { runDocker } from '../core/lifecycle/docker.js';
import { runPlan } from '../core/lifecycle/plan.js';
import { BuildLog } from '../core/log/buildlog.js';
import { createActionRunner } from '../core/perform-actions.js';
import { failureParagraph } from '../core/status/hints.js';
import { writeTerminationMessage } from '../core/status/termination.js';
import { StatusTracker } from '../core/status/tracker.js';
import { builtinPlugins } from '../plugins/index.js';
import { agentUrl, extraCertsPath } from '../plugins/coder-logs/inputs.js';
import { commandUsage } from './help.js';
import { earlyTerminationLogPath } from './termination-path.js';

const LOG_FLUSH_MS = 5_000;

function dockerClient(app: App): (host: string) => DockerClient {
  return (host) => lazyDockerClient(async () => {
    const { DockerodeClient } = await import('../core/docker/dockerode-client.js');
    return new DockerodeClient(host, app.log);
  });
}

/** Only `docker` reports to Kubernetes: `plan` changes nothing, not even on bad input. */
function writeEarlyTermination(command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv, text: string): void {
  const path = command === 'docker' ? earlyTerminationLogPath(argv, env) : null;
  if (path !== null) writeTerminationMessage(path, text);
}

/** Invalid input: one error line per problem, the termination message (docker only), exit 2, nothing started. */
function reportInputError(error: InputError, command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv): number {
  const log = new BuildLog(process.stderr);
  for (const line of error.message.split('\n')) log.error(line);
  writeEarlyTermination(command, argv, env, error.message);
  return EXIT_INVALID_INPUT;
}

/** Startup logs in Coder, when configured. undici is loaded only then. */
async function attachCoderLogs(app: App): Promise<{ close(timeoutMs: number): Promise<void> } | null> {
  const url = app.options.get(agentUrl);
  const token = app.options.get(agentToken);
  if (!url || !token) return null;
  const { createCoderLogSink } = await import('../core/coder/index.js');
  const certs = app.options.get(extraCertsPath);
  const sink = createCoderLogSink({ url, token, logger: app.log, ...(certs ? { extraCertsPath: certs } : {}) });
  app.buildLog.addSink(sink);
  return sink;
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

async function docker(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const controller = stopSignal();
  const app = await prepareApp({ mode: 'docker', argv, env, cwd: process.cwd(), builtins: builtinPlugins() });
  const coder = await attachCoderLogs(app);
  const code = await runDocker(app, {
    connect: dockerClient(app),
    launcher: processLauncher(app.log, (text) => app.buildLog.scrub(text)),
    actions: createActionRunner(app.host, app.log, app.buildLog),
    status: new StatusTracker(app.options.get(statusFile)),
    signal: controller.signal,
    reportFailure(error) {
      const paragraph = app.buildLog.scrub(failureParagraph(error));
      writeTerminationMessage(app.options.get(terminationLog), paragraph);
      return paragraph;
    },
    kill: (pid, signal) => process.kill(pid, signal),
  });
  await coder?.close(LOG_FLUSH_MS);
  return code;
}

async function plan(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const app = await prepareApp({ mode: 'plan', argv, env, cwd: process.cwd(), builtins: builtinPlugins() });
  process.stdout.write(`${await runPlan(app, dockerClient(app))}\n`);
  return 0;
}

export async function runCommand(command: 'docker' | 'plan', argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(commandUsage(command, collectInputs(builtinPlugins())));
    return 0;
  }
  try {
    return command === 'docker' ? await docker(argv, env) : await plan(argv, env);
  } catch (error) {
    if (error instanceof InputError) return reportInputError(error, command, argv, env);
    // Failures before the lifecycle owns reporting (config plugins, plan): one clear error line.
    const paragraph = failureParagraph(error);
    new BuildLog(process.stderr).error(paragraph);
    writeEarlyTermination(command, argv, env, paragraph);
    return EXIT_FAILURE;
  }
}
