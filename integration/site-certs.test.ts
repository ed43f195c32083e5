// A built-in plugin run as a site plugin: plugins/certs/*.ts, copied as they are into a site project
// outside this repository (envbox installed as node_modules/envbox, as site-plugin.test.ts does),
// compiled there with the site's own tsc against envbox's published types, and loaded by the real CLI
// (dist/cli/main.js) from an envbox.config.mjs that disables the built-in certs. Against the world's
// TLS registry: with the copy, the pull trusts CODER_EXTRA_CERTS_PATH and succeeds; with no certs
// plugin at all, it fails on the unknown CA. Needs `npm run build` first.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { createWorld, destroyWorld, repoRoot, type Sandbox, type World } from './harness/index.js';
import { assertFailsWith, assertNothingLeft, installCa, pullSecret, stopCleanly, withSandbox } from './harness/scenario.js';

const exec = promisify(execFile);
const PLUGIN_DIR = join(repoRoot, 'plugins', 'certs');

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'build', rootDir: '.' },
  include: ['plugins/**/*.ts'],
}, null, 2);

/** The site's config: the built-in certs out, its own copy in (or, for the control run, no certs plugin at all). */
const config = (withCopy: boolean) => `// @ts-check
import { defineConfig } from 'envbox';
${withCopy ? "import { certsPlugin } from './build/plugins/certs/index.js';\n" : ''}
export default defineConfig({ disable: ['certs'], plugins: [${withCopy ? 'certsPlugin()' : ''}] });
`;

/** Every module a file imports, as TypeScript reads them. */
const importsOf = (text: string) => ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);

describe('the built-in certs plugin, run as a site plugin', () => {
  let world: World;
  let site = '';
  let copied: string[] = [];

  before(async () => {
    world = await createWorld();
    // Under /var/tmp: outside the repository, and not covered by the sandbox's own /tmp.
    site = await mkdtemp('/var/tmp/envbox-site-certs-');
    await mkdir(join(site, 'node_modules', '@types'), { recursive: true });
    // What `npm install envbox` and `npm install -D typescript @types/node` would give the site.
    await symlink(repoRoot, join(site, 'node_modules', 'envbox'));
    await symlink(join(repoRoot, 'node_modules', 'typescript'), join(site, 'node_modules', 'typescript'));
    await symlink(join(repoRoot, 'node_modules', '@types', 'node'), join(site, 'node_modules', '@types', 'node'));
    await mkdir(join(site, 'plugins', 'certs'), { recursive: true });
    copied = (await readdir(PLUGIN_DIR)).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
    for (const name of copied) await writeFile(join(site, 'plugins', 'certs', name), await readFile(join(PLUGIN_DIR, name)));
    await writeFile(join(site, 'package.json'), JSON.stringify({ name: 'site-envbox', type: 'module', private: true }));
    await writeFile(join(site, 'tsconfig.json'), TSCONFIG);
    await writeFile(join(site, 'with-copy.config.mjs'), config(true));
    await writeFile(join(site, 'without-certs.config.mjs'), config(false));
  });

  after(async () => {
    if (site && !process.env.KEEP_SITE) await rm(site, { recursive: true, force: true });
    if (world) await destroyWorld(world);
  });

  /** envbox docker with the CA file, the pull secret and one of the site's configs. */
  async function pullWith(sandbox: Sandbox, configName: string) {
    return sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.noinit,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
      ENVBOX_CONFIG: join(site, configName),
    }));
  }

  // The copy is made byte for byte (before()): what makes that enough is that the built-in imports
  // nothing a site lacks, which this checks.
  test('the copy is the built-in unchanged: it imports only envbox, node: builtins and its own files', async () => {
    assert.ok(copied.includes('index.ts'), copied.join(', '));
    for (const name of copied) {
      const original = await readFile(join(PLUGIN_DIR, name), 'utf8');
      const foreign = importsOf(original).filter((spec) => spec !== 'envbox' && !spec.startsWith('node:') && !/^\.\/[^/]+\.js$/.test(spec));
      assert.deepEqual(foreign, [], `${name} imports only what a site has`);
    }
  });

  test('the site compiles the copy with its own tsc, against envbox\'s published types', async () => {
    await exec(process.execPath, [join(site, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(site, 'tsconfig.json')], { cwd: site });
    await readFile(join(site, 'build', 'plugins', 'certs', 'index.js'));
  });

  test('with the copy in place of the built-in, envbox trusts CODER_EXTRA_CERTS_PATH and the TLS pull succeeds', { timeout: 180_000 }, () => withSandbox(world, 'site-certs-copy', async (sandbox, track) => {
    const run = track(await pullWith(sandbox, 'with-copy.config.mjs'));
    await run.waitForDone(120_000);
    assert.ok(run.buildLog().some((l) => /^Copying certificates from "\/var\/lib\/envbox-certs\/registry-ca\.crt"/.test(l.output)), run.tail());
    const state = (await sandbox.dockerOk(['inspect', '-f', '{{.State.Running}} {{.Config.Image}}', 'workspace_cvm'])).trim();
    assert.equal(state, `true ${world.images.noinit}`);
    await stopCleanly(sandbox, run);
  }));

  test('with no certs plugin at all, the same pull fails on the unknown CA', { timeout: 180_000 }, () => withSandbox(world, 'site-certs-none', async (sandbox, track) => {
    const run = track(await pullWith(sandbox, 'without-certs.config.mjs'));
    await assertFailsWith(run, /x509: certificate signed by unknown authority/, 60_000);
    assert.ok(!run.buildLog().some((l) => /Copying certificates/.test(l.output)), 'nothing copied the CA');
    await assertNothingLeft(sandbox);
  }));
});
