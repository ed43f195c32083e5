#!/usr/bin/env node
import { envboxVersion } from '../core/engine/version.js';

/**
 * Each command loads only what it needs, and this file imports nothing of envbox's statically but
 * the version (node builtins only): `--version` costs a bare node start, and `envbox status` (a human's
 * command now; probes read the ready marker) never pays for dockerode, undici and the plugins.
 */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`envbox ${envboxVersion()}\n`);
    return 0;
  }
  const { EXIT_INVALID_INPUT } = await import('../core/kernel/errors.js');
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const { ROOT_USAGE } = await import('./help.js');
    process.stdout.write(ROOT_USAGE);
    return command === undefined ? EXIT_INVALID_INPUT : 0;
  }
  if (command === 'status') {
    const { runStatusCommand } = await import('../core/engine/status/command.js');
    return runStatusCommand(rest, env);
  }
  if (command !== 'docker' && command !== 'plan') {
    process.stderr.write(`envbox: unknown command "${command}". Example: envbox docker --help\n`);
    return EXIT_INVALID_INPUT;
  }
  const { markStartup } = await import('../core/engine/status/startup-marks.js');
  markStartup('main');
  const { runCommand } = await import('./commands.js');
  markStartup('modules');
  return runCommand(command, rest, env);
}

main(process.argv.slice(2), process.env).then(
  // Exit only once stdout has drained: a piped `plan` is larger than one pipe buffer.
  (code) => process.stdout.write('', () => process.exit(code)),
  async (error: unknown) => {
    const { EXIT_FAILURE, messageOf } = await import('../core/kernel/errors.js');
    process.stderr.write(`envbox: unexpected failure: ${messageOf(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
