import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../../integration/harness/index.js';

/** Where the bench's bundle goes; `dist/cli/main.js` inside it, so the CLI finds ../../package.json. */
export const BUNDLE_ROOT = join(repoRoot, 'bench', 'results', 'bundle');
export const BUNDLE_MAIN = join(BUNDLE_ROOT, 'dist', 'cli', 'main.js');

// The image's banner: ssh2 (under dockerode) and CommonJS packages need these in ESM output.
const BANNER = [
  "import { createRequire as __envboxCreateRequire } from 'node:module';",
  "import { fileURLToPath as __envboxFileURLToPath } from 'node:url';",
  "import { dirname as __envboxDirname } from 'node:path';",
  'const require = __envboxCreateRequire(import.meta.url);',
  'const __filename = __envboxFileURLToPath(import.meta.url);',
  'const __dirname = __envboxDirname(__filename);',
].join('\n');

let built: Promise<string> | undefined;

/**
 * The single-file esbuild bundle of the CLI, built with the options the image uses
 * (wip/image's deploy/bundle.ts: ESM, node20, chunks per dynamic import, native addons and
 * typescript left out), because the bundle is what ships and so what the bench must time.
 * Built once per bench run, from the sources, so it is never stale.
 */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    await rm(BUNDLE_ROOT, { recursive: true, force: true });
    await mkdir(join(BUNDLE_ROOT, 'dist', 'cli'), { recursive: true });
    await copyFile(join(repoRoot, 'package.json'), join(BUNDLE_ROOT, 'package.json'));
    await build({
      entryPoints: { main: join(repoRoot, 'cli', 'main.ts') },
      outdir: join(BUNDLE_ROOT, 'dist', 'cli'),
      bundle: true,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      banner: { js: BANNER },
      external: ['*.node', 'cpu-features', 'typescript'],
      // ssh2 costs the supervisor about 11 MB of RSS for nothing (deploy/ssh2-unsupported.cjs says why).
      alias: { ssh2: join(repoRoot, 'deploy', 'ssh2-unsupported.cjs') },
      logLevel: 'warning',
    });
    return BUNDLE_MAIN;
  })();
  return built;
}
