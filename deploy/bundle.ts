// Bundles the CLI and the public API for the image: `node --import tsx deploy/bundle.ts [outDir]`.
// The output is a self-contained package folder (no node_modules): main.js, one file per export
// of package.json, shared chunks, and a package.json whose `exports` mirror the real package's, so
// that `import 'envbox'` (and `envbox/<subpath>`) from a site config resolves to this bundle.
import { build, type Plugin } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'dist', 'image', 'envbox');

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, string | { default: string; types?: string }>;
}

/** `./dist/core/index.js` (what tsc emits) comes from `core/index.ts`. */
function sourceOf(distPath: string): string {
  const match = /^\.\/dist\/(.+)\.js$/.exec(distPath);
  if (!match) throw new Error(`package.json exports "${distPath}", which is not a ./dist/**/*.js file the bundler can map to its source`);
  return join(root, `${match[1]}.ts`);
}

/** `.` becomes `index`, `./testing` becomes `testing`: the bundle's file for that export. */
function bundleNameOf(exportKey: string): string {
  return exportKey === '.' ? 'index' : exportKey.replace(/^\.\//, '').replaceAll('/', '-');
}

// ssh2 (under dockerode) and the require() of CommonJS packages need these in ESM output.
const BANNER = [
  "import { createRequire as __envboxCreateRequire } from 'node:module';",
  "import { fileURLToPath as __envboxFileURLToPath } from 'node:url';",
  "import { dirname as __envboxDirname } from 'node:path';",
  'const require = __envboxCreateRequire(import.meta.url);',
  'const __filename = __envboxFileURLToPath(import.meta.url);',
  'const __dirname = __envboxDirname(__filename);',
].join('\n');

/**
 * What cli/main.ts imports lazily, as entry files of the split build (ES modules, `.mjs`). main.js
 * itself is built on its own as CommonJS, without the shared runtime chunk and the banner, so that
 * `--version` loads one small script and never starts node's ES module loader (issue 10: 1.42x a bare
 * `node -e 0` with them, 1.27x as one ESM file, about 1.0x as CommonJS).
 */
const CLI_LAZY: Record<string, string> = {
  'cli-commands': 'cli/commands.ts',
  'cli-help': 'cli/help.ts',
  'core-errors': 'core/errors.ts',
  'core-status-command': 'core/status/command.ts',
  'core-startup-marks': 'core/status/startup-marks.ts',
};

/** Turns main.ts's `await import('../core/errors.js')` into `import('./core-errors.js')`, external. */
const lazyCliImports: Plugin = {
  name: 'lazy-cli-imports',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const source = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      const name = Object.entries(CLI_LAZY).find(([, file]) => join(root, file) === source)?.[0];
      if (!name) return { errors: [{ text: `cli/main.ts imports ${args.path} lazily; add it to CLI_LAZY in deploy/bundle.ts` }] };
      return { path: `./${name}.mjs`, external: true };
    });
  },
};

async function main(): Promise<void> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
  const entryPoints: Record<string, string> = Object.fromEntries(Object.entries(CLI_LAZY).map(([name, file]) => [name, join(root, file)]));
  const exportsMap: Record<string, string> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    const name = bundleNameOf(key);
    entryPoints[name] = sourceOf(typeof target === 'string' ? target : target.default);
    exportsMap[key] = `./${name}.mjs`;
  }

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    // Chunks keep the CLI's per-command loading: `status` and `--version` load no dockerode or plugins.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    target: 'node20',
    banner: { js: BANNER },
    define: { __ENVBOX_VERSION__: JSON.stringify(pkg.version) },
    // Native addons of ssh2 and cpu-features are optional (loaded in try/catch) and typescript is only
    // for .ts configs (about 10 MB): none of them is bundled.
    external: ['*.node', 'cpu-features', 'typescript'],
    // ssh2 is never used (ENVBOX_DOCKER_HOST is unix:// or tcp://) and its load-time WebAssembly
    // heap weighs on the supervisor: deploy/ssh2-unsupported.cjs stands in for it (issue 10).
    // The same for BuildKit's gRPC session code under dockerode (deploy/buildkit-unsupported.cjs).
    alias: {
      ssh2: join(root, 'deploy', 'ssh2-unsupported.cjs'),
      '@grpc/grpc-js': join(root, 'deploy', 'buildkit-unsupported.cjs'),
      '@grpc/proto-loader': join(root, 'deploy', 'buildkit-unsupported.cjs'),
    },
    logLevel: 'warning',
    metafile: true,
  });

  const cli = await build({
    entryPoints: { main: join(root, 'cli', 'main.ts') },
    outdir: outDir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { __ENVBOX_VERSION__: JSON.stringify(pkg.version) },
    plugins: [lazyCliImports],
    logLevel: 'warning',
    // core/version.ts reads import.meta.url only when no version is compiled in; here one always is.
    logOverride: { 'empty-import-meta': 'silent' },
    metafile: true,
  });
  Object.assign(result.metafile.outputs, cli.metafile.outputs);

  // No "type": main.js is CommonJS and everything else is .mjs (see CLI_LAZY).
  const bundlePackage = { name: pkg.name, version: pkg.version, exports: exportsMap, bin: { envbox: './main.js' } };
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify(bundlePackage, null, 2)}\n`);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  process.stderr.write(`envbox bundle: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB in ${relative(process.cwd(), outDir) || '.'}\n`);
}

await main();
