import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareApp } from '../../core/engine/app.js';
import { builtinPlugins } from '../../plugins/index.js';
import { CONFIG_FILE_NAMES } from '../../core/kernel/config/load-config.js';
import { InputError } from '../../core/kernel/errors.js';
import { MemoryHost } from '../../testing/memory-host.js';
import { planEnv, projectDir, removeProjects, runCli } from './cli.js';

after(removeProjects);

/** The same bad option, `cpus: "two"`, written in the form each config file name takes. */
function badConfig(name: (typeof CONFIG_FILE_NAMES)[number]): Record<string, string> {
  const json = '{ "options": { "cpus": "two" } }';
  if (name === 'package.json') return { 'package.json': `{ "name": "site", "envbox": ${json} }` };
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return { [name]: 'options:\n  cpus: two\n' };
  if (name.endsWith('.mjs')) return { [name]: `export default ${json};\n` };
  if (name.endsWith('.js') || name.endsWith('.cjs')) return { [name]: `module.exports = ${json};\n` };
  return { [name]: json };
}

async function inputErrorOf(work: Promise<unknown>): Promise<InputError> {
  const caught = await work.then(() => assert.fail('expected an InputError (exit 2)'), (error: unknown) => error);
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  return caught;
}

const prepare = (cwd: string) => prepareApp({
  mode: 'plan', argv: [], env: { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' }, cwd, host: new MemoryHost(), stderr: { write: () => true }, builtins: builtinPlugins(),
});

describe('hostile: every documented config file name loads (none is silently ignored)', () => {
  for (const name of CONFIG_FILE_NAMES) {
    it(`${name} with { options: { cpus: "two" } } is an input error naming the file`, async () => {
      const root = await projectDir(badConfig(name));
      const error = await inputErrorOf(prepare(root));
      assert.equal(error.problems.length, 1, error.message);
      assert.equal(error.problems[0]!.variable, `cpus (in ${join(root, name)})`);
    });
  }

  it('the docs name exactly these files', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'docs', 'plugins.md'), 'utf8');
    const section = /<!-- config-files:begin -->([\s\S]*?)<!-- config-files:end -->/.exec(readme)?.[1] ?? '';
    const listed = [...section.matchAll(/`([^`\s"]+\.?[^`\s"]*)`/g)].map((m) => m[1]).filter((name) => name !== 'envbox');
    assert.deepEqual(listed, [...CONFIG_FILE_NAMES]);
  });

  it('envbox plan exits 2 for envbox.config.json with a bad option', async () => {
    const root = await projectDir(badConfig('envbox.config.json'));
    const result = await runCli(['plan'], planEnv(root), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /cpus \(in .*envbox\.config\.json\): \\"two\\" is not a number of CPUs/);
  });
});

describe('hostile: a config or plugin factory that throws is a config error (exit 2) naming the file and module', () => {
  it('a config whose default export is a function that throws', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "export default () => { throw new Error('site config broke'); };\n" });
    const error = await inputErrorOf(prepare(root));
    assert.equal(error.problems[0]!.variable, join(root, 'envbox.config.mjs'));
    assert.match(error.problems[0]!.problem, /the function the config exports threw: site config broke/);
  });

  it('a config whose async default export rejects', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "export default async () => { throw new Error('async config broke'); };\n" });
    const error = await inputErrorOf(prepare(root));
    assert.match(error.message, /envbox\.config\.mjs: the function the config exports threw: async config broke/);
  });

  it('a config that exports a promise which rejects', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "const p = Promise.reject(new Error('promised config broke')); p.catch(() => {});\nexport default p;\n" });
    const error = await inputErrorOf(prepare(root));
    assert.match(error.message, /envbox\.config\.mjs: failed to load: promised config broke/);
  });

  it('a config that exports a promise of a bad config is checked like any other', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "export default Promise.resolve({ options: { cpus: 'two' } });\n" });
    const error = await inputErrorOf(prepare(root));
    assert.equal(error.problems[0]!.variable, `cpus (in ${join(root, 'envbox.config.mjs')})`);
  });

  it('a config module that throws while it loads', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "throw new Error('top-level boom');\n" });
    const error = await inputErrorOf(prepare(root));
    assert.match(error.message, /envbox\.config\.mjs: failed to load: top-level boom/);
  });

  it('a plugin module that throws while it loads', async () => {
    const root = await projectDir({ 'boom.mjs': "throw new Error('module boom');\n", 'envbox.config.mjs': "export default { plugins: ['./boom.mjs'] };\n" });
    const error = await inputErrorOf(prepare(root));
    assert.match(error.message, /cannot load the plugin module "\.\/boom\.mjs" .*: module boom/);
  });

  it('a plugin factory that throws', async () => {
    const root = await projectDir({
      'factory.mjs': "export default function quota(options) { throw new Error(`cpus ${options.cpus} is not allowed`); }\n",
      'envbox.config.mjs': "export default { plugins: [['./factory.mjs', { cpus: 64 }]] };\n",
    });
    const error = await inputErrorOf(prepare(root));
    assert.equal(error.problems[0]!.variable, join(root, 'envbox.config.mjs'));
    assert.match(error.problems[0]!.problem, /the plugin factory exported by "\.\/factory\.mjs" threw: cpus 64 is not allowed/);
  });

  it('envbox docker exits 2 on a throwing factory, and says which module', async () => {
    const root = await projectDir({
      'factory.mjs': "export default function () { throw new Error('factory boom'); }\n",
      'envbox.config.mjs': "export default { plugins: ['./factory.mjs'] };\n",
    });
    const result = await runCli(['docker'], planEnv(root), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /factory\.mjs\\" threw: factory boom/);
  });
});

describe('hostile: the termination log', () => {
  it('plan never writes it, even on bad input', async () => {
    const root = await projectDir();
    const path = join(root, 'termination-log');
    const result = await runCli(['plan'], planEnv(root, { CODER_CPUS: 'two', ENVBOX_TERMINATION_LOG: path }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(existsSync(path), false, 'plan wrote the termination log');
  });

  it('plan never writes it when a config plugin fails either', async () => {
    const root = await projectDir({ 'envbox.config.mjs': "export default { plugins: [{ name: 'boom', apply() { throw new Error('apply boom'); } }] };\n" });
    const path = join(root, 'termination-log');
    const result = await runCli(['plan'], planEnv(root, { ENVBOX_TERMINATION_LOG: path }), root);
    assert.notEqual(result.code, 0, result.stderr);
    assert.equal(existsSync(path), false, 'plan wrote the termination log');
  });

  it('--termination-log beats ENVBOX_TERMINATION_LOG on the bad-input path', async () => {
    const root = await projectDir();
    const [fromEnv, fromFlag] = [join(root, 'env-log'), join(root, 'flag-log')];
    const result = await runCli(['docker', `--termination-log=${fromFlag}`], planEnv(root, { CODER_CPUS: 'two', ENVBOX_TERMINATION_LOG: fromEnv }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(await readFile(fromFlag, 'utf8'), /^CODER_CPUS: "two" is not a number of CPUs/);
    assert.equal(existsSync(fromEnv), false, 'the env var lost to the flag, so its path is not written');
  });

  it('--termination-log PATH (two words) wins as well', async () => {
    const root = await projectDir();
    const [fromEnv, fromFlag] = [join(root, 'env-log'), join(root, 'flag-log')];
    const result = await runCli(['docker', '--termination-log', fromFlag, '--cpus=two'], planEnv(root, { ENVBOX_TERMINATION_LOG: fromEnv }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(await readFile(fromFlag, 'utf8'), /^--cpus: "two"/);
    assert.equal(existsSync(fromEnv), false);
  });

  it('a relative ENVBOX_TERMINATION_LOG is reported as invalid and is not written', async () => {
    const root = await projectDir();
    const result = await runCli(['docker'], planEnv(root, { ENVBOX_TERMINATION_LOG: 'relative-termination-log' }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /ENVBOX_TERMINATION_LOG: \\"relative-termination-log\\" is not an absolute path/);
    assert.equal(existsSync(join(root, 'relative-termination-log')), false, 'an invalid path was written relative to the working directory');
  });

  it('a relative --termination-log over a valid env var: invalid, so nothing is written anywhere', async () => {
    const root = await projectDir();
    const fromEnv = join(root, 'env-log');
    const result = await runCli(['docker', '--termination-log=rel-log'], planEnv(root, { ENVBOX_TERMINATION_LOG: fromEnv }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(existsSync(join(root, 'rel-log')), false);
    assert.equal(existsSync(fromEnv), false, 'the flag wins even when it is invalid');
  });
});
