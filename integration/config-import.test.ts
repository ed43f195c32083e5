// A site config and its plugin modules `import ... from 'envbox'` from a folder that has no
// node_modules (a ConfigMap mounted at /etc/envbox, say), with the package as npm installs it (dist/,
// tsc output) and with the image's bundle (built here into a folder outside the repository, as
// /opt/envbox is). The image itself is checked the same way in one-liner.test.ts.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './harness/index.js';
import { IMAGE_FACTS, SITE_CONFIG, SITE_PLUGIN } from './harness/site-config.js';
import { buildBundle } from './harness/bundle.js';

const run = promisify(execFile);

interface Outcome { code: number; stdout: string; stderr: string }

/** A CommonJS config as a site writes one, with envbox's API from require(). */
const CJS_REQUIRING_ENVBOX = [
  "const { defineConfig, definePlugin, withEnv } = require('envbox');",
  "const stamp = definePlugin({ name: 'cjs-stamp', apply({ hooks }) { hooks.containerSpec.tap((body) => withEnv(body, 'SITE_STAMP', 'from-cjs-require')); } });",
  'module.exports = defineConfig({ plugins: [stamp] });',
  '',
].join('\n');

/** The same with import(), which the self-resolution hook serves with nothing installed. */
const CJS_IMPORTING_ENVBOX = [
  'module.exports = async () => {',
  "  const { defineConfig, definePlugin, withEnv } = await import('envbox');",
  "  const stamp = definePlugin({ name: 'cjs-stamp', apply({ hooks }) { hooks.containerSpec.tap((body) => withEnv(body, 'SITE_STAMP', 'from-cjs-import')); } });",
  '  return defineConfig({ plugins: [stamp] });',
  '};',
  '',
].join('\n');

async function plan(cli: string, configFile: string, cwd: string, nodeFlags: string[] = []): Promise<Outcome> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', CODER_INNER_IMAGE: 'registry.example.com/ws:1', CODER_INNER_USERNAME: 'coder',
    ENVBOX_IMAGE_FACTS: IMAGE_FACTS, ENVBOX_RUNTIME: 'runc', ENVBOX_CONFIG: configFile,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeFlags, cli, 'plan'], { env, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function containerEnv(outcome: Outcome): string[] {
  assert.equal(outcome.code, 0, outcome.stderr);
  return (JSON.parse(outcome.stdout) as { container: { create: { Env: string[] } } }).container.create.Env;
}

describe('configs import envbox from anywhere', () => {
  let site: string;
  let bundle: string;
  let project: string;
  const installed = join(repoRoot, 'dist', 'cli', 'main.js');

  before(async () => {
    await stat(installed).catch(() => { throw new Error(`${installed} is missing: run \`npm run build\` first`); });
    // Outside the repository and any project: no node_modules above it.
    site = await mkdtemp('/var/tmp/envbox-site-config-');
    await mkdir(join(site, 'plugins'));
    await writeFile(join(site, 'envbox.config.mjs'), SITE_CONFIG);
    await writeFile(join(site, 'plugins', 'quota.mjs'), SITE_PLUGIN);
    // A type annotation, so that only a TypeScript loader reads it.
    await writeFile(join(site, 'envbox.config.ts'), "import { defineConfig } from 'envbox';\nconst cpus: number = 3;\nexport default defineConfig({ options: { cpus } });\n");
    await writeFile(join(site, 'other.mjs'), "import leftPad from 'left-pad-is-not-installed';\nexport default {};\n");
    // CommonJS configs: one that requires envbox, here with nothing installed; and the same in a project
    // that has envbox installed (node_modules/envbox: this checkout's package, as npm installs its tarball).
    await writeFile(join(site, 'required.cjs'), CJS_REQUIRING_ENVBOX);
    await writeFile(join(site, 'imported.cjs'), CJS_IMPORTING_ENVBOX);
    project = await mkdtemp('/var/tmp/envbox-site-project-');
    await writeFile(join(project, 'package.json'), '{ "name": "site", "private": true }\n');
    await mkdir(join(project, 'node_modules'));
    await symlink(repoRoot, join(project, 'node_modules', 'envbox'));
    await writeFile(join(project, 'envbox.config.cjs'), CJS_REQUIRING_ENVBOX);
    bundle = await mkdtemp('/var/tmp/envbox-bundle-');
    await buildBundle(bundle);
  });

  after(async () => {
    await Promise.all([site, bundle, project].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  for (const [layout, cli] of [['the npm package (dist/)', () => installed], ['the image\'s bundle', () => join(bundle, 'main.js')]] as const) {
    test(`${layout}: the config and its plugin module get envbox's API`, async () => {
      const env = containerEnv(await plan(cli(), join(site, 'envbox.config.mjs'), '/'));
      assert.ok(env.includes('SITE_STAMP=from-config'), env.join('\n'));
      assert.ok(env.includes('SITE_MODULE=from-plugin-module'), env.join('\n'));
    });

    test(`${layout}: a package that is not installed is named as such, not as an ESM/CommonJS mix-up`, async () => {
      const outcome = await plan(cli(), join(site, 'other.mjs'), '/');
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, /left-pad-is-not-installed/);
      assert.match(outcome.stderr, /not installed: install it next to the config/);
      assert.doesNotMatch(outcome.stderr, /CommonJS/);
    });

    test(`${layout}: a CommonJS config requires envbox installed next to it (node 20.19+ requires an ES module)`, async () => {
      assert.ok(containerEnv(await plan(cli(), join(project, 'envbox.config.cjs'), '/')).includes('SITE_STAMP=from-cjs-require'));
    });

    test(`${layout}: a CommonJS config that requires envbox with nothing installed is told to import it, and import() works there`, async () => {
      const outcome = await plan(cli(), join(site, 'required.cjs'), '/');
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, /Cannot find module 'envbox'/);
      assert.match(outcome.stderr, /require\('envbox'\) finds only an envbox installed next to the config/);
      assert.ok(containerEnv(await plan(cli(), join(site, 'imported.cjs'), '/')).includes('SITE_STAMP=from-cjs-import'));
    });
  }

  test('the npm package on a node that cannot require() an ES module (as before 20.19): the error says so', async () => {
    const outcome = await plan(installed, join(project, 'envbox.config.cjs'), '/', ['--no-experimental-require-module']);
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /require\(\) of ES Module/);
    assert.match(outcome.stderr, /cannot require\(\) an ES module such as envbox; node 20\.19 and later can/);
  });

  test('the npm package (with typescript installed, as in a project): a .ts config loads', async () => {
    const outcome = await plan(installed, join(site, 'envbox.config.ts'), '/');
    assert.equal(outcome.code, 0, outcome.stderr);
    const { CpuQuota, CpuPeriod } = (JSON.parse(outcome.stdout) as { container: { create: { HostConfig: { CpuQuota?: number; CpuPeriod?: number } } } }).container.create.HostConfig;
    assert.equal(CpuQuota !== undefined && CpuPeriod !== undefined ? CpuQuota / CpuPeriod : undefined, 3, 'cpus: 3 from the .ts config reached the plan');
  });

  test('the image\'s bundle on this machine\'s node 20 (no typescript, no type stripping): a .ts config fails with what to use instead', async () => {
    const outcome = await plan(join(bundle, 'main.js'), join(site, 'envbox.config.ts'), '/');
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /TypeScript config needs node 22\.18 or later[^"]*typescript package[^"]*envbox\.config\.mjs/);
  });

  test('the bundle: --version does not depend on where files are (no package.json next to it)', async () => {
    const moved = await mkdtemp('/var/tmp/envbox-bundle-moved-');
    try {
      await cp(bundle, moved, { recursive: true });
      await rm(join(moved, 'package.json'));
      const { stdout } = await run(process.execPath, [join(moved, 'main.js'), '--version'], { cwd: '/' });
      const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      assert.equal(stdout.trim(), `envbox ${pkg.version}`);
    } finally {
      await rm(moved, { recursive: true, force: true });
    }
  });
});
