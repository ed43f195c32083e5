import { collectInputs, prepareApp, type App } from '../app.js';
import { builtinPlugins } from '../builtins.js';
import type { DockerClient } from '../docker/client.js';
import { lazyDockerClient } from '../docker/lazy-client.js';
import { processLauncher } from '../daemon/managed-daemon.js';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InputError } from '../errors.js';
import { agentToken, agentUrl, extraCertsPath, statusFile, terminationLog } from '../inputs/core-inputs.js';
import { StopRequested } from '../lifecycle/abort.js';
import { runDocker } from '../lifecycle/docker.js';
import { runPlan } from '../lifecycle/plan.js';
import { BuildLog } from '../log/buildlog.js';
import { createActionRunner } from '../perform-actions.js';
import { failureParagraph } from '../status/hints.js';
import { writeTerminationMessage } from '../status/termination.js';
import { StatusTracker } from '../status/tracker.js';
import { commandUsage } from './help.js';

const LOG_FLUSH_MS = 5_000;

function dockerClient(app: App): (host: string) => DockerClient {
  return (host) => lazyDockerClient(async () => {
    const { DockerodeClient } = await import('../docker/dockerode-client.js');
    return new DockerodeClient(host, app.log);
  });
}

/** Invalid input: one error line per problem, the termination message, exit 2, nothing started. */
function reportInputError(error: InputError, env: NodeJS.ProcessEnv): number {
  const log = new BuildLog(process.stderr);
  for (const line of error.message.split('\n')) log.error(line);
  writeTerminationMessage(env.ENVBOX_TERMINATION_LOG || '/dev/termination-log', error.message);
  return EXIT_INVALID_INPUT;
}

/** Startup logs in Coder, when configured. undici is loaded only then. */
async function attachCoderLogs(app: App): Promise<{ close(timeoutMs: number): Promise<void> } | null> {
  const url = app.options.get(agentUrl);
  const token = app.options.get(agentToken);
  if (!url || !token) return null;
  const { createCoderLogSink } = await import('../coder/index.js');
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
  const app = await prepareApp({ mode: 'docker', argv, env, cwd: process.cwd() });
  const coder = await attachCoderLogs(app);
  const code = await runDocker(app, {
    connect: dockerClient(app),
    launcher: processLauncher(app.log, (text) => app.buildLog.scrub(text)),
    actions: createActionRunner(app.host, app.log, app.buildLog, controller.signal),
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
  const app = await prepareApp({ mode: 'plan', argv, env, cwd: process.cwd() });
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
    if (error instanceof InputError) return reportInputError(error, env);
    // Failures before the lifecycle owns reporting (config plugins, plan): one clear error line.
    const paragraph = failureParagraph(error);
    new BuildLog(process.stderr).error(paragraph);
    if (command === 'docker') writeTerminationMessage(env.ENVBOX_TERMINATION_LOG || '/dev/termination-log', paragraph);
    return EXIT_FAILURE;
  }
}
