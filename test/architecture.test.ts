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

  it('core/log/logger.ts knows no plugin option names', () => {
    const text = readFileSync(join(root, 'core/log/logger.ts'), 'utf8');
    for (const name of ['imagePullSecret', 'identitytoken', "'auth'"]) assert.ok(!text.includes(name), name);
  });

  it('core/hooks.ts and core/docker/client.ts do not import each other', () => {
    assert.ok(!importsOf('core/docker/client.ts').some((s) => s.endsWith('/hooks.js')));
    assert.ok(!importsOf('core/docker/registry-auth.ts').some((s) => s.endsWith('/hooks.js')));
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
 * header encoder a pull-secret test compares against, the failure paragraph's formatter, and core
 * input definitions that a rootless test reads by name.
 */
const TEST_INTERNALS: Readonly<Record<string, readonly string[]>> = {
  'plugins/coder-logs/coder-logs.test.ts': ['../../core/lifecycle/phases.js'],
  'plugins/inner-docker/inner-docker.test.ts': ['../../core/lifecycle/phases.js'],
  'plugins/pullsecret/pullsecret.test.ts': ['../../core/docker/registry-auth.js', '../../core/lifecycle/phases.js', '../../core/host/node-host.js'],
  'plugins/pullsecret/cred-helpers.test.ts': ['../../core/log/buildlog.js'],
  'plugins/gpu/gpu.test.ts': ['../../core/host/node-host.js'],
  'plugins/rootless/checks.test.ts': ['../../core/status/hints.js'],
  'plugins/rootless/daemon.test.ts': ['../../core/inputs/core-inputs.js'],
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
    assert.match(boundaryProblem('plugins/certs/index.ts', '../../core/errors.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', '../../cli/main.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/certs.test.ts', '../../testing/fake-docker.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', 'envbox/testing')!, /subpath/);
    assert.equal(boundaryProblem('plugins/rootless/testing.ts', 'envbox/testing'), null);
    assert.match(boundaryProblem('plugins/rootless/testing.ts', '../../core/errors.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/registry-mirrors/index.ts', '../certs/index.js')!, /another plugin/);
    assert.match(boundaryProblem('plugins/fuse/fuse.test.ts', '../tun/inputs.js')!, /another plugin/);
    assert.match(boundaryProblem('plugins/index.ts', './certs/inputs.js')!, /not a plugin folder/);
    assert.match(boundaryProblem('plugins/index.ts', '../core/plugin.js')!, /core's internals/);
    assert.match(boundaryProblem('plugins/certs/index.ts', 'left-pad')!, /does not declare/);
    assert.equal(boundaryProblem('plugins/certs/index.ts', './inputs.js'), null);
    assert.equal(boundaryProblem('plugins/fuse/fuse.test.ts', '../tun/index.js'), null);
    assert.equal(boundaryProblem('plugins/certs/index.ts', 'zod'), null);
  });
});
