import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const importsOf = (file: string) => [...readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);

describe('architecture', () => {
  it('no file under core/ imports from plugins/, cli/ or testing/: the arrows point into the core', () => {
    const upward = sources('core').flatMap((file) => importsOf(file)
      .filter((spec) => /(^|\/)(plugins|cli|testing)\//.test(spec))
      .map((spec) => `${file} imports ${spec}`));
    assert.deepEqual(upward, []);
  });

  it('core/engine/log/logger.ts knows no plugin option names', () => {
    const text = readFileSync(join(root, 'core/engine/log/logger.ts'), 'utf8');
    for (const name of ['imagePullSecret', 'identitytoken', "'auth'"]) assert.ok(!text.includes(name), name);
  });

  it('core/kernel/hooks.ts and core/kernel/docker-client.ts do not import each other', () => {
    assert.ok(!importsOf('core/kernel/docker-client.ts').some((s) => s.endsWith('/hooks.js')));
    assert.ok(!importsOf('core/kernel/registry-auth.ts').some((s) => s.endsWith('/hooks.js')));
  });
});

// The plugin boundary: a built-in plugin reaches the core only as a site plugin does, through
// 'envbox' (tests also through 'envbox/testing'), and never reaches into another plugin.

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function pluginFiles(): string[] {
  return readdirSync(join(root, 'plugins'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Every module specifier a file names (imports, type imports, re-exports, side-effect and dynamic imports), as TypeScript reads them. */
const specifiersOf = (file: string) => ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true).importedFiles.map((f) => f.fileName);

const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/**
 * Core internals that plugin tests still import, each because the public API has no such thing and
 * should not: driving one lifecycle phase by hand, the real host, the build log's class, the raw
 * header encoder a pull-secret test compares against, and the failure paragraph's formatter.
 */
const TEST_INTERNALS: Readonly<Record<string, readonly string[]>> = {
  'plugins/coder-logs/coder-logs.test.ts': ['../../core/engine/lifecycle/run-hooks.js'],
  'plugins/inner-docker/inner-docker.test.ts': ['../../core/engine/lifecycle/run-hooks.js'],
  'plugins/pullsecret/pullsecret.test.ts': ['../../core/kernel/registry-auth.js', '../../core/engine/lifecycle/run-hooks.js', '../../core/engine/host/node-host.js'],
  'plugins/pullsecret/cred-helpers.test.ts': ['../../core/kernel/build-log.js'],
  'plugins/gpu/gpu.test.ts': ['../../core/engine/host/node-host.js'],
  'plugins/rootless/checks.test.ts': ['../../core/engine/status/hints.js'],
};

/** What is wrong with one import of a file under plugins/, or null when a site plugin could write it too. */
function boundaryProblem(file: string, spec: string): string | null {
  // A plugin's testing.ts is test support (its tests' run functions, with the plugins they need): it may import 'envbox/testing' as they do.
  const test = file.endsWith('.test.ts') || /^plugins\/[^/]+\/testing\.ts$/.test(file);
  if (spec.startsWith('node:') || spec === 'envbox' || (test && spec === 'envbox/testing')) return null;
  if (!spec.startsWith('.')) {
    const name = packageOf(spec);
    if (name === 'envbox') return `reaches into envbox by a subpath (${spec}); import 'envbox'${test ? " or 'envbox/testing'" : ''}`;
    if (name in pkg.dependencies || (test && name in pkg.devDependencies)) return null;
    return `imports ${name}, which package.json does not declare${test ? '' : ' as a dependency'}`;
  }
  const target = normalize(join(dirname(file), spec));
  if (!target.startsWith('plugins/')) {
    if (test && (TEST_INTERNALS[file] ?? []).includes(spec)) return null;
    return `reaches the core's internals (${target}) instead of importing 'envbox'`;
  }
  if (file === 'plugins/index.ts') return /^\.\/[^/]+\/index\.js$/.test(spec) ? null : `imports ${spec}, not a plugin folder's index.js`;
  const own = file.split('/').slice(0, 2).join('/');
  if (target.startsWith(`${own}/`)) return null;
  // A test may combine its plugin with another, as a config lists them: through that plugin's index.js only.
  if (test && /^plugins\/[^/]+\/index\.js$/.test(target)) return null;
  return `imports another plugin (${target}); share it through 'envbox' (a public function, an input) or a hook instead`;
}

describe('architecture: the plugin boundary', () => {
  it('every import under plugins/ is one a site plugin could write: node:, a declared dependency, \'envbox\', or its own folder', () => {
    const problems = pluginFiles().flatMap((file) => specifiersOf(file).map((spec) => [file, spec, boundaryProblem(file, spec)] as const))
      .filter(([, , problem]) => problem !== null)
      .map(([file, spec, problem]) => `${file}: '${spec}' ${problem}`);
    assert.deepEqual(problems, []);
  });

  it('plugins/index.ts imports only the plugin folders (and the EnvboxPlugin type)', () => {
    const specs = specifiersOf('plugins/index.ts');
    assert.ok(specs.length > 10, 'the built-ins are listed there');
    assert.deepEqual(specs.filter((s) => s !== 'envbox' && !/^\.\/[^/]+\/index\.js$/.test(s)), []);
  });

  it('the exceptions are still needed: each listed import is still in its file', () => {
    const stale = Object.entries(TEST_INTERNALS).flatMap(([file, specs]) => {
      const present = existsSync(join(root, file)) ? specifiersOf(file) : [];
      return specs.filter((s) => !present.includes(s)).map((s) => `${file}: ${s}`);
    });
    assert.deepEqual(stale, []);
  });

  it('the rules refuse each kind of bad import', () => {
    assert.match(boundaryProblem('plugins/certs/index.ts', '../../core/kernel/errors.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', '../../cli/main.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/certs.test.ts', '../../testing/fake-docker.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', 'envbox/testing')!, /subpath/);
    assert.equal(boundaryProblem('plugins/rootless/testing.ts', 'envbox/testing'), null);
    assert.match(boundaryProblem('plugins/rootless/testing.ts', '../../core/kernel/errors.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/registry-mirrors/index.ts', '../certs/index.js')!, /another plugin/);
    assert.match(boundaryProblem('plugins/fuse/fuse.test.ts', '../tun/inputs.js')!, /another plugin/);
    assert.match(boundaryProblem('plugins/index.ts', './certs/inputs.js')!, /not a plugin folder/);
    assert.match(boundaryProblem('plugins/index.ts', '../core/kernel/plugin.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', 'left-pad')!, /does not declare/);
    assert.equal(boundaryProblem('plugins/certs/index.ts', './inputs.js'), null);
    assert.equal(boundaryProblem('plugins/fuse/fuse.test.ts', '../tun/index.js'), null);
    assert.equal(boundaryProblem('plugins/certs/index.ts', 'zod'), null);
  });
});

// The core's own layers: the kernel (hooks, the plugin contract, inputs, actions, the container
// spec's edits) knows nothing of the engine (the docker client, the daemon process, the lifecycle
// runner, status, the host); the engine builds on the kernel; core/api/ only chooses what is public.

/** Where a relative import of `file` lands, from the repository root; null for a package. */
function landingOf(file: string, spec: string): string | null {
  return spec.startsWith('.') ? normalize(join(dirname(file), spec)) : null;
}

const layerImports = (layer: string, forbidden: readonly string[]) => sources(`core/${layer}`).flatMap((file) => specifiersOf(file)
  .map((spec) => ({ spec, lands: landingOf(file, spec) }))
  .filter(({ lands }) => lands !== null && forbidden.some((dir) => lands.startsWith(`core/${dir}/`)))
  .map(({ spec }) => `${file} imports ${spec}`));

describe('architecture: kernel, engine and api', () => {
  it('core/ holds the three layers and nothing else', () => {
    const entries = readdirSync(join(root, 'core')).sort();
    assert.deepEqual(entries, ['api', 'engine', 'kernel']);
  });

  it('the kernel imports nothing from the engine or the api', () => {
    assert.deepEqual(layerImports('kernel', ['engine', 'api']), []);
  });

  it('the engine imports nothing from the api', () => {
    assert.deepEqual(layerImports('engine', ['api']), []);
  });

  it("core/api/index.ts is the package's '.' export and only re-exports", () => {
    const exported = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }).exports['.']!;
    assert.equal(exported['envbox-source'], './core/api/index.ts');
    assert.equal(exported.default, './dist/core/api/index.js');
    const statements = ts.createSourceFile('index.ts', readFileSync(join(root, 'core/api/index.ts'), 'utf8'), ts.ScriptTarget.ES2022).statements;
    const own = statements.filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined)).map((s) => s.getText());
    assert.deepEqual(own, [], 'the api declares nothing of its own: what it makes public lives in the kernel or the engine');
  });

  it('the rules refuse a kernel file that imports the engine', () => {
    assert.equal(landingOf('core/kernel/hooks.ts', '../engine/app.js'), 'core/engine/app.js');
    assert.equal(landingOf('core/kernel/inputs/define.ts', '../../engine/app.js'), 'core/engine/app.js');
    assert.equal(landingOf('core/kernel/hooks.ts', './plugin.js'), 'core/kernel/plugin.js');
    assert.equal(landingOf('core/kernel/hooks.ts', 'tapable'), null);
  });
});
