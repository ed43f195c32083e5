#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { prepareApp, collectInputs, type App } from '../app.js';
import { builtinPlugins } from '../builtins.js';
import { createCoderLogSink, type CoderLogSink } from '../coder/index.js';
import { processLauncher } from '../daemon/managed-daemon.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, InputError, messageOf } from '../errors.js';
import { agentToken, agentUrl, extraCertsPath, statusFile, terminationLog } from '../inputs/core-inputs.js';
import { StopRequested } from '../lifecycle/abort.js';
import { runDocker } from '../lifecycle/docker.js';
import { runPlan } from '../lifecycle/plan.js';
import { BuildLog } from '../log/buildlog.js';
import { createActionRunner } from '../perform-actions.js';
import { StatusTracker, failureParagraph, runStatusCommand, writeTerminationMessage } from '../status/index.js';
import { ROOT_USAGE, commandUsage } from './help.js';

const LOG_FLUSH_MS = 5_000;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8').toString()) as { version: string };
  return pkg.version;
}

/** Invalid input: one error line per problem, the termination message, exit 2, nothing started. */
function reportInputError(error: InputError, env: NodeJS.ProcessEnv): number {
  const log = new BuildLog(process.stderr);
  for (const line of error.message.split('\n')) log.error(line);
  writeTerminationMessage(env.ENVBOX_TERMINATION_LOG || '/dev/termination-log', error.message);
  return EXIT_INVALID_INPUT;
}

function attachCoderLogs(app: App): CoderLogSink | null {
  const url = app.options.get(agentUrl);
  const token = app.options.get(agentToken);
  if (!url || !token) return null;
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
  const coder = attachCoderLogs(app);
  const status = new StatusTracker(app.options.get(statusFile));
  const code = await runDocker(app, {
    connect: (host) => new DockerodeClient(host, app.log),
    launcher: processLauncher(app.log, (text) => app.buildLog.scrub(text)),
    actions: createActionRunner(app.host, app.log, app.buildLog),
    status,
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
  process.stdout.write(`${await runPlan(app, (host) => new DockerodeClient(host, app.log))}\n`);
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`envbox ${version()}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(ROOT_USAGE);
    return command === undefined ? EXIT_INVALID_INPUT : 0;
  }
  if (command === 'status') return runStatusCommand(rest, env);
  if (command !== 'docker' && command !== 'plan') {
    process.stderr.write(`envbox: unknown command "${command}". Example: envbox docker --help\n`);
    return EXIT_INVALID_INPUT;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandUsage(command, collectInputs(builtinPlugins())));
    return 0;
  }
  try {
    return command === 'docker' ? await docker(rest, env) : await plan(rest, env);
  } catch (error) {
    if (error instanceof InputError) return reportInputError(error, env);
    // Failures before the lifecycle owns reporting (config plugins, plan): one clear error line.
    const paragraph = failureParagraph(error);
    new BuildLog(process.stderr).error(paragraph);
    if (command === 'docker') writeTerminationMessage(env.ENVBOX_TERMINATION_LOG || '/dev/termination-log', paragraph);
    return EXIT_FAILURE;
  }
}

main(process.argv.slice(2), process.env).then(
  // Exit only once stdout has drained: a piped `plan` is larger than one pipe buffer.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`envbox: unexpected failure: ${messageOf(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
