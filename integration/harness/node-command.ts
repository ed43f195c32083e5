import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The commands /envbox (deploy/envbox) gives the bundle's node-flags to. */
const FLAGGED_COMMANDS = ['docker'];

/**
 * The argv that runs `envbox <args>` from an envbox main.js as it ships: the image's bundle has a
 * `node-flags` file next to its main.js (deploy/bundle.ts), which /envbox passes to node for
 * `docker`, whose code cache (envbox.cjs.flagged.cache) holds only with those flags. dist/cli/main.js has none.
 */
export async function nodeCommand(main: string, args: readonly string[]): Promise<string[]> {
  const flags = FLAGGED_COMMANDS.includes(args[0] ?? '') ? await readFile(join(dirname(main), 'node-flags'), 'utf8').catch(() => '') : '';
  return [process.execPath, ...flags.split(/\s+/).filter((f) => f !== ''), main, ...args];
}
