// Bundles the CLI and the public API for the image: `node --import tsx deploy/bundle.ts [outDir]`.
// The output is a self-contained package folder (no node_modules):
// - envbox.cjs: the CLI and the API in one CommonJS file (entry deploy/bundle-entry.ts), which
//   main.js loads with V8's code cache, envbox.cjs.cache (deploy/load-envbox.cjs);
// - main.js: the `envbox` command, a small CommonJS file: `--version` loads nothing else, and
//   `envbox status` only status.cjs;
// - index.mjs and testing.mjs: `import 'envbox'` and `import 'envbox/testing'`, which re-export
//   envbox.cjs's namespaces, and a package.json whose `exports` name them, so that a site config
//   gets the running envbox (core/kernel/config/self-resolve.ts);
// - import-module.cjs: every import() envbox.cjs makes (code compiled from a cache cannot);
// - node-flags: the flags node runs `envbox docker` with (NODE_FLAGS);
// - envbox.cjs.cache and envbox.cjs.flagged.cache: written by `envbox plan` runs without and with
//   those flags, with the node given as ENVBOX_BUNDLE_NODE (default: this node): V8 accepts a cache
//   only from the same node with the same flags.
import { build, type Plugin } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'dist', 'image', 'envbox');

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, unknown>;
}

/** Each export of package.json, and the namespace of deploy/bundle-entry.ts that serves it. */
const EXPORT_NAMESPACES: Record<string, { namespace: string; file: string }> = {
  '.': { namespace: 'api', file: 'index.mjs' },
  './testing': { namespace: 'testing', file: 'testing.mjs' },
};

/** What cli/main.ts imports lazily: in main.js each of them is envbox.cjs, loaded once. */
const CLI_LAZY = ['cli/commands.ts'];
/**
 * Small and without classes the API shares: bundled into main.js itself (the startup marks too, so
 * that `main` is marked before envbox.cjs loads; marks are the process's, whoever sets them).
 */
const CLI_INLINE = ['cli/help.ts', 'core/kernel/errors.ts', 'core/engine/status/startup-marks.ts'];
/** But `envbox status` stays small: status.cjs has only what it needs. */
const STATUS_COMMAND = 'core/engine/status/command.ts';

const loadEnvboxInstead: Plugin = {
  name: 'load-envbox',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'require-call' && args.path === './status.cjs') return { path: args.path, external: true };
      if (args.kind !== 'dynamic-import') return undefined;
      const source = relative(root, join(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
      if (source === STATUS_COMMAND) return { path: 'status', namespace: 'envbox-status' };
      if (CLI_INLINE.includes(source)) return undefined;
      if (!CLI_LAZY.includes(source)) return { errors: [{ text: `cli/main.ts imports ${args.path} lazily; add it to CLI_LAZY (and export what it uses from deploy/bundle-entry.ts) or to CLI_INLINE in deploy/bundle.ts` }] };
      return { path: join(root, 'deploy', 'load-envbox.cjs') };
    });
    b.onLoad({ filter: /.*/, namespace: 'envbox-status' }, () => ({ contents: "module.exports = require('./status.cjs');", loader: 'js' }));
  },
};

/**
 * core/kernel/config/import-module.ts is import-module.cjs, a file of its own that node's CommonJS loader
 * compiles, so that its import() works: in code compiled from the code cache (envbox.cjs), import()
 * would need --experimental-vm-modules on node 20.
 */
const importModuleApart: Plugin = {
  name: 'import-module-apart',
  setup(b) {
    b.onResolve({ filter: /\/import-module\.js$/ }, (args) => (
      join(args.resolveDir, args.path) === join(root, 'core', 'kernel', 'config', 'import-module.js') ? { path: './import-module.cjs', external: true } : undefined));
  },
};

/**
 * In main.js, core/engine/version.ts is just the version: its fallback (reading package.json) is dead code
 * here, but its imports of node:fs, node:path and node:url would still be required at every start,
 * `--version` included.
 */
function compiledVersion(version: string): Plugin {
  return {
    name: 'compiled-version',
    setup(b) {
      b.onLoad({ filter: /[\\/]core[\\/]version\.ts$/ }, () => ({ contents: `export function envboxVersion(): string { return ${JSON.stringify(version)}; }`, loader: 'ts' }));
    },
  };
}

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Built-in plugins import 'envbox' as a site plugin does: resolved to the sources, so that the
  // bundle holds one copy of the core, not a second one from dist/.
  conditions: ['envbox-source'] as string[],
  logLevel: 'warning',
  metafile: true,
} as const;

/** The generated `import 'envbox'` module: the names of one namespace of envbox.cjs. */
function facade(namespace: string, names: string[]): string {
  const safe = names.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  return [
    '// Generated by deploy/bundle.ts: the running envbox\'s own exports (envbox.cjs, one instance).',
    "import { createRequire } from 'node:module';",
    `const { ${namespace}: exported } = createRequire(import.meta.url)('./envbox.cjs');`,
    `export const { ${safe.join(', ')} } = exported;`,
    '',
  ].join('\n');
}

/**
 * How node runs `envbox docker` (/envbox and the bench read them from node-flags): a young generation
 * of at most 1 MiB per semi-space, not 16, keeps the idle supervisor 10 to 20 MB smaller.
 * It costs the start about 10 ms (node's own code cache of its built-in modules no longer fits), so
 * the short commands run without it. V8 takes a code cache only from a run with the same flags:
 * one cache is made with them and one without (deploy/load-envbox.cjs picks).
 */
const NODE_FLAGS = ['--max-semi-space-size=1'];

/** A plan with the usual inputs and no daemon asked: the code it runs is what the cache holds. */
async function writeCodeCache(main: string, flags: readonly string[]): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'envbox-code-cache-'));
  try {
    const node = process.env.ENVBOX_BUNDLE_NODE ?? process.execPath;
    await promisify(execFile)(node, [...flags, main, 'plan'], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ENVBOX_WRITE_CODE_CACHE: '1',
        CODER_INNER_IMAGE: 'registry.example/workspace:latest',
        CODER_INNER_USERNAME: 'coder',
        CODER_AGENT_TOKEN: 'code-cache-token',
        CODER_AGENT_URL: 'https://coder.example',
        CODER_MOUNTS: '/home/coder:/home/coder',
        CODER_CPUS: '1',
        CODER_MEMORY: '1073741824',
        CODER_BOOTSTRAP_SCRIPT: 'true',
        ENVBOX_IMAGE_FACTS: JSON.stringify({ uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' }),
      },
    });
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson;
  const unknown = Object.keys(pkg.exports).filter((key) => !(key in EXPORT_NAMESPACES));
  if (unknown.length > 0) throw new Error(`package.json exports ${unknown.join(', ')}, which deploy/bundle.ts does not serve: add it to EXPORT_NAMESPACES and deploy/bundle-entry.ts`);

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const envbox = await build({
    ...common,
    entryPoints: { envbox: join(root, 'deploy', 'bundle-entry.ts') },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    // V8 keeps a script's whole source in memory; without whitespace it is 1.9 MB, not 2.8 (names are
    // kept, so errors still name their functions). The idle supervisor's heap is about 4 MB smaller.
    minifyWhitespace: true,
    minifySyntax: true,
    // The code's own import.meta.url (the self-resolution hook's parent) is this file's URL.
    banner: { js: "var __envboxImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { __ENVBOX_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__envboxImportMetaUrl' },
    // Native addons of ssh2 and cpu-features are optional (loaded in try/catch) and typescript is only
    // for .ts configs (about 10 MB): none of them is bundled.
    external: ['*.node', 'cpu-features', 'typescript'],
    plugins: [importModuleApart],
    // ssh2 is never used (ENVBOX_DOCKER_HOST is unix:// or tcp://) and its load-time WebAssembly
    // heap weighs on the supervisor, and dockerode's BuildKit sessions (gRPC) are never started:
    // deploy/*-unsupported.cjs stand in for them.
    alias: {
      ssh2: join(root, 'deploy', 'ssh2-unsupported.cjs'),
      '@grpc/grpc-js': join(root, 'deploy', 'buildkit-unsupported.cjs'),
      '@grpc/proto-loader': join(root, 'deploy', 'buildkit-unsupported.cjs'),
    },
  });
  const status = await build({
    ...common,
    entryPoints: { status: join(root, STATUS_COMMAND) },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
  });
  const cli = await build({
    ...common,
    entryPoints: { main: join(root, 'cli', 'main.ts') },
    outdir: outDir,
    define: { __ENVBOX_VERSION__: JSON.stringify(pkg.version) },
    plugins: [loadEnvboxInstead, compiledVersion(pkg.version)],
    // core/engine/version.ts reads import.meta.url only when no version is compiled in; here one always is.
    logOverride: { 'empty-import-meta': 'silent' },
  });

  const importer = await build({
    ...common,
    entryPoints: { 'import-module': join(root, 'core', 'kernel', 'config', 'import-module.ts') },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
  });
  const loaded = createRequire(import.meta.url)(join(outDir, 'envbox.cjs')) as Record<string, object>;
  const exportsMap: Record<string, string> = {};
  for (const [key, { namespace, file }] of Object.entries(EXPORT_NAMESPACES)) {
    if (!(key in pkg.exports)) continue;
    await writeFile(join(outDir, file), facade(namespace, Object.keys(loaded[namespace] ?? {})));
    exportsMap[key] = `./${file}`;
  }
  // No "type": main.js and envbox.cjs are CommonJS, the facades .mjs.
  const bundlePackage = { name: pkg.name, version: pkg.version, exports: exportsMap, bin: { envbox: './main.js' } };
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify(bundlePackage, null, 2)}\n`);
  await writeFile(join(outDir, 'node-flags'), `${NODE_FLAGS.join(' ')}\n`);
  await writeCodeCache(join(outDir, 'main.js'), []);
  await writeCodeCache(join(outDir, 'main.js'), NODE_FLAGS);

  const outputs = [envbox, status, importer, cli].flatMap((r) => Object.values(r.metafile.outputs));
  const cacheBytes = (await stat(join(outDir, 'envbox.cjs.cache'))).size + (await stat(join(outDir, 'envbox.cjs.flagged.cache'))).size;
  const bytes = outputs.reduce((sum, o) => sum + o.bytes, 0);
  process.stderr.write(`envbox bundle: ${outputs.length} files (${(bytes / 1e6).toFixed(1)} MB) and ${(cacheBytes / 1e6).toFixed(1)} MB of code caches in ${relative(process.cwd(), outDir) || '.'}\n`);
}

await main();
