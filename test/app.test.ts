import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { explicitConfigPath, parseFlags, prepareApp, type PrepareOptions } from '../core/engine/app.js';
import { InputError } from '../core/kernel/errors.js';
import { containerName } from '../core/kernel/inputs/core-inputs.js';
import { MemoryHost } from '../testing/memory-host.js';
import { builtinPlugins } from '../plugins/index.js';

const REQUIRED = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' };
const repoFile = (path: string) => pathToFileURL(join(import.meta.dirname, '..', path)).href;

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envbox-app-'));
  roots.push(root);
  for (const [path, content] of Object.entries({ 'package.json': '{ "name": "site" }', ...files })) await writeFile(join(root, path), content);
  return root;
}

function prepare(cwd: string, more: Partial<PrepareOptions> = {}) {
  return prepareApp({ mode: 'plan', argv: [], env: { ...REQUIRED }, cwd, host: new MemoryHost(), stderr: { write: () => true }, builtins: builtinPlugins(), ...more });
}

/** A site plugin that owns one input, SITE_GREETING (config key siteGreeting, flag --greeting). */
const SITE_PLUGIN = `
import { defineInput } from ${JSON.stringify(repoFile('core/kernel/inputs/define.ts'))};
import { stringInput } from ${JSON.stringify(repoFile('core/kernel/inputs/input-kinds.ts'))};
export const greeting = defineInput({
  key: 'siteGreeting', env: 'SITE_GREETING', flag: 'greeting', schema: stringInput, default: 'hello',
  description: 'What the site says.', example: 'hi',
});
export default { name: 'site-greeter', inputs: [greeting], apply() {} };
`;

function valueOf(app: Awaited<ReturnType<typeof prepareApp>>, env: string): unknown {
  const def = app.options.definitions().find((d) => d.env === env);
  assert.ok(def, `${env} is not a registered input`);
  return app.options.get(def);
}

describe('prepareApp', () => {
  it('registers the built-ins and their inputs when nothing is disabled', async () => {
    const app = await prepare(await project({}));
    assert.ok(app.plugins.some((p) => p.name === 'gpu'));
    assert.equal(valueOf(app, 'CODER_ADD_GPU'), false);
  });

  it('leaves out a disabled built-in: its plugin and its inputs are absent', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['gpu'] };\n" });
    const app = await prepare(root);
    assert.ok(!app.plugins.some((p) => p.name === 'gpu'));
    assert.ok(app.plugins.some((p) => p.name === 'tun'), 'other built-ins stay');
    const envs = app.options.definitions().map((d) => d.env);
    for (const gpuInput of ['CODER_ADD_GPU', 'CODER_USR_LIB_DIR', 'CODER_INNER_USR_LIB_DIR']) assert.ok(!envs.includes(gpuInput), gpuInput);
    await assert.rejects(prepare(root, { argv: ['--add-gpu'] }), /--add-gpu: belongs to the plugin "gpu", which is disabled/);
  });

  it("disabling a plugin disables its inputs: a value that would change behaviour is exit 2 naming the plugin", async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['env', 'fuse'] };\n" });
    const file = join(root, 'envbox.config.mjs');
    await assert.rejects(prepare(root, { env: { ...REQUIRED, CODER_INNER_ENVS: 'FOO,BAR_*', CODER_ADD_FUSE: 'true' } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['CODER_INNER_ENVS', 'CODER_ADD_FUSE']);
      assert.match(error.problems[0]!.problem, new RegExp(`^belongs to the plugin "env", which is disabled \\(disable in ${file}\\)`));
      assert.match(error.problems[1]!.problem, /plugin "fuse", which is disabled/);
      return true;
    });
    await assert.rejects(prepare(root, { argv: ['--envs=FOO'] }), /--envs: belongs to the plugin "env"/);
  });

  it('accepts an input of a disabled plugin set to its default (Coder always sets CODER_ADD_FUSE=false)', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['fuse', 'tun'], options: { addTun: false } };\n" });
    const app = await prepare(root, { env: { ...REQUIRED, CODER_ADD_FUSE: 'false', ENVBOX_DEVICE_DIR: '/tmp' } });
    assert.ok(!app.options.definitions().some((d) => d.env === 'CODER_ADD_FUSE'));
  });

  it('keeps an input shared with a plugin that is still enabled (fuse and tun share the device dir)', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['fuse'] };\n" });
    const app = await prepare(root, { env: { ...REQUIRED, ENVBOX_DEVICE_DIR: '/run/dev' } });
    assert.equal(valueOf(app, 'ENVBOX_DEVICE_DIR'), '/run/dev');
    assert.equal(app.options.definitions().find((d) => d.env === 'ENVBOX_DEVICE_DIR')?.owner, 'tun');
  });

  it('rejects an unknown name in disable, naming the file and the built-ins', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['gpu', 'gpus'] };\n" });
    await assert.rejects(prepare(root), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.problems[0]?.variable, `disable (in ${join(root, 'envbox.config.mjs')})`);
      assert.match(error.problems[0]?.problem ?? '', /^"gpus" is not a built-in plugin \(did you mean "gpu"\?\) \(they are: workspace, .*gpu/);
      return true;
    });
  });

  it('suggests the nearest built-in for a misspelt disable, and the nearest flag for a misspelt one', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { disable: ['gpuu'] };\n" });
    await assert.rejects(prepare(root), /"gpuu" is not a built-in plugin \(did you mean "gpu"\?\)/);
    await assert.rejects(prepare(await project({}), { argv: ['--cpuss=2'] }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.problems[0]?.variable, '--cpuss');
      assert.match(error.problems[0]?.problem ?? '', /^Unknown option '--cpuss'.* \(did you mean "--cpus"\?\)$/);
      return true;
    });
  });

  it('reports every problem at once: bad input and the checks of every plugin\'s configure tap (it used to stop at one)', async () => {
    const root = await project({});
    const env = { ...REQUIRED, CODER_CPUS: 'two', CODER_MOUNTS: '/x:/', CODER_ADD_GPU: 'true' };
    await assert.rejects(prepare(root, { env }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['CODER_CPUS', 'CODER_MOUNTS', 'CODER_USR_LIB_DIR']);
      return true;
    });
  });

  it('does not add a configure complaint about an input that already failed to parse', async () => {
    const env = { ...REQUIRED, CODER_ADD_GPU: 'true', CODER_USR_LIB_DIR: 'usr/lib' };
    await assert.rejects(prepare(await project({}), { env }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['CODER_USR_LIB_DIR']);
      assert.match(error.message, /is not an absolute path/);
      return true;
    });
  });

  it('refuses two site plugins with one name, naming both sources (exit 2)', async () => {
    const root = await project({
      'a.mjs': "export default { name: 'site', apply() {} };\n",
      'envbox.config.mjs': "export default { plugins: ['./a.mjs', { name: 'site', apply() {} }] };\n",
    });
    const file = join(root, 'envbox.config.mjs');
    await assert.rejects(prepare(root), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.problems[0]?.variable, 'plugin "site"');
      assert.equal(error.problems[0]?.problem, `is the name of both plugins[0] ("./a.mjs") in ${file} and plugins[1] in ${file}; each plugin needs its own name`);
      return true;
    });
  });

  it('refuses a site plugin named like a built-in that is not disabled, and accepts it as a replacement once disabled', async () => {
    const inline = "{ name: 'gpu', apply() {} }";
    const clash = await project({ 'envbox.config.mjs': `export default { plugins: [${inline}] };\n` });
    await assert.rejects(prepare(clash), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^plugin "gpu": is the name of both the built-in plugin and plugins\[0\] in .*envbox\.config\.mjs; .*Example: rename the site plugin, or disable: \['gpu'\] to replace the built-in$/);
      return true;
    });
    const replaced = await project({ 'envbox.config.mjs': `export default { plugins: [${inline}], disable: ['gpu'] };\n` });
    assert.equal((await prepare(replaced)).plugins.filter((p) => p.name === 'gpu').length, 1);
  });

  it('refuses a site plugin that taps a hook that does not exist, naming the hook and the real ones (exit 2)', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { plugins: [{ name: 'typo', apply({ hooks }) { hooks.poststart.tap(() => {}); } }] };\n" });
    await assert.rejects(prepare(root), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^plugin "typo": api\.hooks\.poststart is not a hook \(did you mean "postStart"\?\)/);
      return true;
    });
  });

  it('takes option defaults from the config; env overrides them, and flags override env', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { options: { containerName: 'from-config' } };\n" });
    const fromConfig = await prepare(root, { builtins: [] });
    assert.equal(fromConfig.options.get(containerName), 'from-config');
    const fromEnv = await prepare(root, { builtins: [], env: { ...REQUIRED, ENVBOX_CONTAINER_NAME: 'from-env' } });
    assert.equal(fromEnv.options.get(containerName), 'from-env');
    const fromFlag = await prepare(root, { builtins: [], env: { ...REQUIRED, ENVBOX_CONTAINER_NAME: 'from-env' }, argv: ['--container-name', 'from-flag'] });
    assert.equal(fromFlag.options.get(containerName), 'from-flag');
  });

  it('rejects an option key that no input has, naming the file', async () => {
    const root = await project({ 'envbox.config.mjs': "export default { options: { addGpu: true } };\n" });
    await assert.rejects(prepare(root, { builtins: [] }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.problems[0]?.variable, `addGpu (in ${join(root, 'envbox.config.mjs')})`);
      return true;
    });
  });

  it("registers a site plugin's own input, from config, env and flag, after the built-ins", async () => {
    const root = await project({
      'site.mjs': SITE_PLUGIN,
      'envbox.config.mjs': "export default { plugins: ['./site.mjs'], options: { siteGreeting: 'from-config' } };\n",
    });
    const app = await prepare(root);
    assert.equal(app.plugins.at(-1)?.name, 'site-greeter');
    assert.equal(valueOf(app, 'SITE_GREETING'), 'from-config');
    assert.equal(app.options.definitions().find((d) => d.env === 'SITE_GREETING')?.owner, 'site-greeter');
    assert.equal(valueOf(await prepare(root, { env: { ...REQUIRED, SITE_GREETING: 'from-env' } }), 'SITE_GREETING'), 'from-env');
    assert.equal(valueOf(await prepare(root, { argv: ['--greeting=from-flag'] }), 'SITE_GREETING'), 'from-flag');
  });

  it("uses a site plugin input's default when nothing sets it", async () => {
    const root = await project({ 'site.mjs': SITE_PLUGIN, 'envbox.config.mjs': "export default { plugins: ['./site.mjs'] };\n" });
    assert.equal(valueOf(await prepare(root, { builtins: [] }), 'SITE_GREETING'), 'hello');
  });

  it('loads the file named by --config PATH, --config=PATH or ENVBOX_CONFIG instead of searching', async () => {
    const root = await project({
      'envbox.config.mjs': "export default { options: { containerName: 'searched' } };\n",
      'explicit.mjs': "export default { options: { containerName: 'explicit' } };\n",
    });
    const name = async (more: Partial<PrepareOptions>) => (await prepare(root, { builtins: [], ...more })).options.get(containerName);
    assert.equal(await name({}), 'searched');
    assert.equal(await name({ argv: ['--config', 'explicit.mjs'] }), 'explicit');
    assert.equal(await name({ argv: [`--config=${join(root, 'explicit.mjs')}`] }), 'explicit');
    assert.equal(await name({ env: { ...REQUIRED, ENVBOX_CONFIG: 'explicit.mjs' } }), 'explicit');
  });
});

describe('argv is read one way: the last of a repeated flag wins', () => {
  it('--config, read before the inputs are known, agrees with parseFlags (the last one), in both spellings', () => {
    assert.equal(explicitConfigPath(['--config=/a.mjs', '--config', '/b.mjs'], {}), '/b.mjs');
    assert.equal(explicitConfigPath(['--cpus=2', '--config', '/c.mjs', '--add-fuse'], { ENVBOX_CONFIG: '/env.mjs' }), '/c.mjs');
    assert.equal(explicitConfigPath(['--cpus=2'], { ENVBOX_CONFIG: '/env.mjs' }), '/env.mjs');
    const cpus = { key: 'cpus', env: 'CODER_CPUS', flag: 'cpus' } as never;
    assert.deepEqual(parseFlags(['--cpus=1', '--cpus=2'], [cpus]), { cpus: '2' });
  });
});
