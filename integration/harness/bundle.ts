import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

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

/**
 * Builds the image's bundle from the sources into `outDir` with the image's own bundler
 * (deploy/bundle.ts), so a test or benchmark never runs a stale one. Resolves with its main.js.
 */
export async function buildBundle(outDir: string): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'deploy', 'bundle.ts'), outDir], { cwd: repoRoot });
  } catch (error) {
    throw new Error(`deploy/bundle.ts failed: ${String((error as { stderr?: string }).stderr ?? error).slice(-2000)}`, { cause: error });
  }
  return join(outDir, 'main.js');
}
