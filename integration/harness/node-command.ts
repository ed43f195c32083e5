import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The argv that runs an envbox main.js as it ships: the image's bundle has a `node-flags` file next
 * to its main.js (deploy/bundle.ts), which /envbox passes to node, and its code cache holds only for
 * those flags. dist/cli/main.js has none.
 */
export async function nodeCommand(main: string): Promise<string[]> {
  const flags = await readFile(join(dirname(main), 'node-flags'), 'utf8').catch(() => '');
  return [process.execPath, ...flags.split(/\s+/).filter((f) => f !== ''), main];
}
