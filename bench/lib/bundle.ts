import { join } from 'node:path';
import { repoRoot } from '../../integration/harness/index.js';
import { buildBundle } from '../../integration/harness/bundle.js';

/** Where the bench's copy of the bundle goes (git-ignored). */
export const BUNDLE_DIR = join(repoRoot, 'bench', 'results', 'bundle');

let built: Promise<string> | undefined;

/**
 * The bundle the image ships, made by the image's own bundler (deploy/bundle.ts) from the sources,
 * once per bench run, so the bench never times stale or different code. Resolves with its main.js.
 */
export function cliBundle(): Promise<string> {
  built ??= buildBundle(BUNDLE_DIR);
  return built;
}
