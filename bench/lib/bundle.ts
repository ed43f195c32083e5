import { join } from 'node:path';
import { repoRoot } from '../../integration/harness/index.js';
import { timeProcess } from './spawn-time.js';

/** Where the bench's copy of the bundle goes (git-ignored). */
export const BUNDLE_DIR = join(repoRoot, 'bench', 'results', 'bundle');

let built: Promise<string> | undefined;

/**
 * The bundle the image ships, made by the image's own bundler (deploy/bundle.ts) from the sources,
 * once per bench run, so the bench never times stale or different code. Resolves with its main.js.
 */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    const run = await timeProcess([process.execPath, '--import', 'tsx', join(repoRoot, 'deploy', 'bundle.ts'), BUNDLE_DIR], process.env, repoRoot);
    if (run.code !== 0) throw new Error(`deploy/bundle.ts failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
    return join(BUNDLE_DIR, 'main.js');
  })();
  return built;
}
