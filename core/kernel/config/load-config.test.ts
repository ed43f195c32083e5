import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { InputError } from '../errors.js';
import { loadConfig } from './load-config.js';

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

/** A project folder (with its own package.json, so the search stops there) holding the given files. */
async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envbox-config-'));
  roots.push(root);
  const all = { 'package.json': '{ "name": "site" }', ...files };
  for (const [path, content] of Object.entries(all)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A CommonJS config as a site writes one, with envbox's API from require(). */
const CJS_REQUIRING_ENVBOX = [
  "const { defineConfig, definePlugin, withEnv } = require('envbox');",
  "const stamp = definePlugin({ name: 'cjs-stamp', apply({ hooks }) { hooks.containerSpec.tap((body) => withEnv(body, 'SITE_STAMP', 'from-cjs')); } });",
  'module.exports = defineConfig({ plugins: [stamp], options: { cpus: 2 } });',
  '',
].join('\n');

const PLUGIN_MODULE = "export default { name: 'from-module', apply() {} };\n";
const FACTORY_MODULE = "export default function factory(options) { return { name: `factory-${options.suffix}`, apply() {} }; }\n";

async function inputErrorOf(work: Promise<unknown>): Promise<InputError> {
  let caught: unknown;
  await work.then(() => assert.fail('expected an InputError'), (error: unknown) => { caught = error; });
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  return caught;
}

describe('loadConfig: where the config comes from', () => {
  it('returns empty defaults when there is no config', async () => {
    const root = await project({});
    assert.deepEqual(await loadConfig(root), { options: {}, plugins: [], sources: [], disable: [] });
  });

  it('loads envbox.config.mjs exporting an object', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { options: { cpus: 2 }, disable: ['gpu'] };\n" });
    const config = await loadConfig(root);
    assert.equal(config.file, join(root, 'envbox.config.mjs'));
    assert.deepEqual(config.options, { cpus: 2 });
    assert.deepEqual(config.disable, ['gpu']);
    assert.deepEqual(config.plugins, []);
  });

  it('calls an exported (async) function and uses what it returns', async () => {
    const root = await project({ 'envbox.config.mjs': "export default async function () { return { options: { memory: '1g' } }; }\n" });
    assert.deepEqual((await loadConfig(root)).options, { memory: '1g' });
  });

  it('loads envbox.config.cjs with module.exports', async () => {
    const root = await project({ 'envbox.config.cjs': "module.exports = { options: { addFuse: true } };\n" });
    const config = await loadConfig(root);
    assert.equal(config.file, join(root, 'envbox.config.cjs'));
    assert.deepEqual(config.options, { addFuse: true });
  });

  it('loads .envboxrc.json', async () => {
    const root = await project({ '.envboxrc.json': '{ "options": { "cpus": "1.5" } }' });
    const config = await loadConfig(root);
    assert.equal(config.file, join(root, '.envboxrc.json'));
    assert.deepEqual(config.options, { cpus: '1.5' });
  });

  it('loads envbox.config.json given explicitly, resolved from cwd', async () => {
    const root = await project({ 'conf/envbox.config.json': '{ "disable": ["tun"] }' });
    const config = await loadConfig(root, 'conf/envbox.config.json');
    assert.equal(config.file, join(root, 'conf/envbox.config.json'));
    assert.deepEqual(config.disable, ['tun']);
  });

  it('loads the envbox key of package.json', async () => {
    const root = await project({ 'package.json': JSON.stringify({ name: 'site', envbox: { options: { cpus: 4 } } }) });
    const config = await loadConfig(root);
    assert.equal(config.file, join(root, 'package.json'));
    assert.deepEqual(config.options, { cpus: 4 });
  });

  it('searches from a subfolder up to the project root', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { options: { cpus: 3 } };\n", 'a/b/c/.keep': '' });
    const config = await loadConfig(join(root, 'a/b/c'));
    assert.equal(config.file, join(root, 'envbox.config.mjs'));
    assert.deepEqual(config.options, { cpus: 3 });
  });

  it('does not search above the project root (the nearest package.json)', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { options: { cpus: 3 } };\n", 'inner/package.json': '{ "name": "inner" }' });
    assert.deepEqual(await loadConfig(join(root, 'inner')), { options: {}, plugins: [], sources: [], disable: [] });
  });

  it('an explicit path wins over a config found by searching', async () => {
    const root = await project({
      'envbox.config.mjs': "export default { options: { cpus: 1 } };\n",
      'other.mjs': "export default { options: { cpus: 8 } };\n",
    });
    const config = await loadConfig(root, join(root, 'other.mjs'));
    assert.equal(config.file, join(root, 'other.mjs'));
    assert.deepEqual(config.options, { cpus: 8 });
  });
});

describe('loadConfig: plugin entries', () => {
  it('accepts plugin objects, module paths relative to the config file, and [path, options] factories, in order', async () => {
    const root = await project({
      'conf/envbox.config.mjs': [
        "export default { plugins: [",
        "  { name: 'inline', apply() {} },",
        "  './plugins/hello.mjs',",
        "  ['./plugins/factory.mjs', { suffix: 'x' }],",
        "] };",
      ].join('\n'),
      'conf/plugins/hello.mjs': PLUGIN_MODULE,
      'conf/plugins/factory.mjs': FACTORY_MODULE,
    });
    // Searched from the root: module paths must still be resolved from conf/, where the file is.
    const config = await loadConfig(root, 'conf/envbox.config.mjs');
    assert.deepEqual(config.plugins.map((p) => p.name), ['inline', 'from-module', 'factory-x']);
    assert.ok(config.plugins.every((p) => typeof p.apply === 'function'));
  });

  it('accepts an absolute module path and a module with a named `plugin` export', async () => {
    const root = await project({ 'plugins/named.mjs': "export const plugin = { name: 'named', apply() {} };\n" });
    await writeFile(join(root, 'envbox.config.mjs'), `export default { plugins: [${JSON.stringify(join(root, 'plugins/named.mjs'))}] };\n`);
    assert.deepEqual((await loadConfig(root)).plugins.map((p) => p.name), ['named']);
  });

  it('calls a factory given as a plain path with undefined options', async () => {
    const root = await project({
      'envbox.config.mjs': "export default { plugins: ['./f.mjs'] };\n",
      'f.mjs': "export default (options) => ({ name: `got-${typeof options}`, apply() {} });\n",
    });
    assert.deepEqual((await loadConfig(root)).plugins.map((p) => p.name), ['got-undefined']);
  });

  it('resolves a package name from the config file\'s folder (its node_modules)', async () => {
    const root = await project({
      'envbox.config.mjs': "export default { plugins: ['envbox-plugin-hello'] };\n",
      'node_modules/envbox-plugin-hello/package.json': '{ "name": "envbox-plugin-hello", "type": "module", "main": "index.js" }',
      'node_modules/envbox-plugin-hello/index.js': PLUGIN_MODULE,
    });
    assert.deepEqual((await loadConfig(root)).plugins.map((p) => p.name), ['from-module']);
  });
});

describe('loadConfig: errors name the file', () => {
  it('a syntax error', async () => {
    const root = await project({ 'envbox.config.mjs': 'export default {\n' });
    const error = await inputErrorOf(loadConfig(root));
    assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
    assert.match(error.message, /failed to load/);
  });

  it('a JSON syntax error', async () => {
    const root = await project({ '.envboxrc.json': '{ "plugins": [ }' });
    const error = await inputErrorOf(loadConfig(root));
    assert.equal(error.problems[0]?.variable, join(root, '.envboxrc.json'));
  });

  it('a package the config imports that is not installed: says so, not an ESM/CommonJS mix-up', async () => {
    const root = await project({ 'envbox.config.mjs': "import pad from 'left-pad-is-not-installed';\nexport default {};\n" });
    const error = await inputErrorOf(loadConfig(root));
    assert.match(error.message, /left-pad-is-not-installed/);
    assert.match(error.message, /not installed: install it next to the config/);
    assert.doesNotMatch(error.message, /CommonJS/);
  });

  it('a CommonJS config that requires envbox with nothing installed: require finds only an installed envbox; import it instead', async () => {
    const root = await project({ 'envbox.config.cjs': "const { defineConfig } = require('envbox');\nmodule.exports = defineConfig({});\n" });
    const error = await inputErrorOf(loadConfig(root));
    assert.match(error.message, /Cannot find module 'envbox'/);
    assert.match(error.message, /require\('envbox'\) finds only an envbox installed next to the config .*use envbox\.config\.mjs .*await import\('envbox'\)/);
    assert.doesNotMatch(error.message, /cannot require\(\) an ES module/);
  });

  it("a CommonJS config requires envbox installed next to it (node_modules/envbox), as node 20.19+ requires an ES module", async () => {
    const root = await project({ 'envbox.config.cjs': CJS_REQUIRING_ENVBOX });
    await mkdir(join(root, 'node_modules'));
    await symlink(REPO_ROOT, join(root, 'node_modules', 'envbox'));
    const config = await loadConfig(root);
    assert.deepEqual(config.plugins.map((plugin) => plugin.name), ['cjs-stamp']);
    assert.deepEqual(config.options, { cpus: 2 });
    type Body = { Image: string; Env: string[]; HostConfig: object };
    const tapped: Array<(body: Body) => Body> = [];
    config.plugins[0]!.apply({ hooks: { containerSpec: { tap: (fn: (body: Body) => Body) => tapped.push(fn) } }, stages: {} } as never);
    assert.deepEqual(tapped[0]!({ Image: 'ubuntu', Env: [], HostConfig: {} }).Env, ['SITE_STAMP=from-cjs'], 'withEnv from the required envbox works');
  });

  it('a CommonJS config with nothing installed imports envbox in an exported async function: it gets the running envbox', async () => {
    const root = await project({
      'envbox.config.cjs': "module.exports = async () => {\n  const { defineConfig, definePlugin, InputError } = await import('envbox');\n"
        + "  return defineConfig({ plugins: [definePlugin({ name: 'cjs-import', apply() {} })], options: { addFuse: InputError === globalThis.ENVBOX_TEST_INPUT_ERROR } });\n};\n",
    });
    (globalThis as { ENVBOX_TEST_INPUT_ERROR?: unknown }).ENVBOX_TEST_INPUT_ERROR = InputError;
    try {
      const config = await loadConfig(root);
      assert.deepEqual(config.plugins.map((plugin) => plugin.name), ['cjs-import']);
      assert.deepEqual(config.options, { addFuse: true }, "the config's InputError is the running envbox's own class");
    } finally {
      delete (globalThis as { ENVBOX_TEST_INPUT_ERROR?: unknown }).ENVBOX_TEST_INPUT_ERROR;
    }
  });

  it('an explicit path that does not exist', async () => {
    const root = await project({});
    const error = await inputErrorOf(loadConfig(root, 'missing.mjs'));
    assert.equal(error.problems[0]?.variable, join(root, 'missing.mjs'));
  });

  for (const [what, source] of [
    ['a number', 'export default 42;\n'],
    ['an array', 'export default [];\n'],
    ['a function returning a string', "export default () => 'nope';\n"],
  ] as const) {
    it(`an export that is not an object: ${what}`, async () => {
      const root = await project({ 'envbox.config.mjs': source });
      const error = await inputErrorOf(loadConfig(root));
      assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
      assert.match(error.message, /must export an object/);
    });
  }

  it('an unknown top-level key', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { plugin: [] };\n" });
    const error = await inputErrorOf(loadConfig(root));
    assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
    assert.match(error.problems[0]?.problem ?? '', /^"plugin" is not a config key \(did you mean "plugins"\?\); the keys are plugins, options, disable$/);
  });

  it('a key of the wrong type, naming the key', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: 'gpu' };\n" });
    const error = await inputErrorOf(loadConfig(root));
    assert.match(error.problems[0]?.problem ?? '', /^disable: /);
  });

  for (const [what, entry, problem] of [
    ['a number', '42', /^plugins\[1\] is not a plugin object \{ name, apply \}; an entry is/],
    ['an object without apply', "{ name: 'half' }", /^plugins\[1\] is a plugin object without "apply" \(a function\);/],
    ['an object with an empty name', "{ name: '', apply() {} }", /^plugins\[1\] is a plugin object without "name" \(a non-empty string, not ""\);/],
    ['an object with neither', "{ nmae: 'x', aply() {} }", /^plugins\[1\] is a plugin object without "name" \(a non-empty string\) and "apply" \(a function\);/],
    ['an array without a path', '[{ a: 1 }]', /^plugins\[1\] is an array whose first item is not a module path;/],
  ] as const) {
    it(`a bad plugin entry: ${what}, naming what is missing`, async () => {
      const root = await project({ 'envbox.config.mjs': `export default { plugins: [{ name: 'ok', apply() {} }, ${entry}] };\n` });
      const error = await inputErrorOf(loadConfig(root));
      assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
      assert.match(error.problems[0]?.problem ?? '', problem);
    });
  }

  it('a plugin module that cannot be found, saying where it was looked for', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { plugins: ['./nope.mjs'] };\n" });
    const error = await inputErrorOf(loadConfig(root));
    assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
    assert.ok(error.message.includes(`cannot load the plugin module "./nope.mjs" (resolved to ${join(root, 'nope.mjs')})`), error.message);
  });

  for (const [what, source] of [
    ['no export at all', 'export const unrelated = 1;\n'],
    ['a default that is not a plugin', 'export default { hello: 1 };\n'],
    ['a factory returning nothing', 'export default () => undefined;\n'],
  ] as const) {
    it(`a plugin module exporting no plugin: ${what}`, async () => {
      const root = await project({ 'envbox.config.mjs': "export default { plugins: [['./p.mjs', {}]] };\n", 'p.mjs': source });
      const error = await inputErrorOf(loadConfig(root));
      assert.equal(error.problems[0]?.variable, join(root, 'envbox.config.mjs'));
      assert.match(error.message, /the module "\.\/p\.mjs" must export \(default\) a plugin object/);
    });
  }
});
