#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { EXIT_FAILURE, EXIT_INVALID_INPUT, messageOf } from '../core/errors.js';
import { ROOT_USAGE } from './help.js';

/**
 * Each command loads only what it needs: `envbox status` runs every few seconds as a readiness
 * probe and must not pay for dockerode, undici and the plugins.
 */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
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
  if (command === 'status') {
    const { runStatusCommand } = await import('../core/status/command.js');
    return runStatusCommand(rest, env);
  }
  if (command !== 'docker' && command !== 'plan') {
    process.stderr.write(`envbox: unknown command "${command}". Example: envbox docker --help\n`);
    return EXIT_INVALID_INPUT;
  }
  const { runCommand } = await import('./commands.js');
  return runCommand(command, rest, env);
}

main(process.argv.slice(2), process.env).then(
  // Exit only once stdout has drained: a piped `plan` is larger than one pipe buffer.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`envbox: unexpected failure: ${messageOf(error)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
