// The image's bundle (deploy/bundle.ts), built from the sources: what the image and the bench run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as api from '../core/api/index.js';
import { buildBundle } from '../integration/harness/bundle.js';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..');

describe('the image\'s bundle', () => {
  let dir: string;
  let flags: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envbox-bundle-'));
    await buildBundle(dir);
    flags = (await readFile(join(dir, 'node-flags'), 'utf8')).trim().split(/\s+/);
  }, { timeout: 120_000 });
  after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('is a package folder: main.js, envbox.cjs with its code caches, status.cjs, import-module.cjs, the facades, node-flags', async () => {
    assert.deepEqual((await readdir(dir)).sort(), [
      'envbox.cjs', 'envbox.cjs.cache', 'envbox.cjs.flagged.cache', 'import-module.cjs', 'index.mjs', 'main.js', 'node-flags', 'package.json', 'status.cjs', 'testing.mjs',
    ]);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { type?: string; exports: Record<string, string> };
    assert.equal(pkg.type, undefined, 'main.js and envbox.cjs are CommonJS');
    assert.deepEqual(pkg.exports, { '.': './index.mjs', './testing': './testing.mjs' });
  });

  it('has code caches that V8 accepts from this node: one without flags (plan), one with the node-flags (docker)', async () => {
    const rejected = async (cache: string, nodeFlags: string[]) => {
      const check = `const vm = require('node:vm'), fs = require('node:fs'), { wrap } = require('node:module');
const file = ${JSON.stringify(join(dir, 'envbox.cjs'))};
const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: fs.readFileSync(${JSON.stringify(join(dir, cache))}) });
process.stdout.write(String(script.cachedDataRejected));`;
      return (await run(process.execPath, [...nodeFlags, '-e', check])).stdout;
    };
    assert.equal(await rejected('envbox.cjs.cache', []), 'false');
    assert.equal(await rejected('envbox.cjs.flagged.cache', flags), 'false');
    assert.equal(await rejected('envbox.cjs.flagged.cache', []), 'true', 'V8 refuses a cache made with other flags: the loader must pick by them');
  });

  it('answers --version from main.js alone, and plans through envbox.cjs', async () => {
    const { version } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await run(process.execPath, [join(dir, 'main.js'), '--version'])).stdout, `envbox ${version}\n`);
    const facts = JSON.stringify({ uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' });
    const plan = await run(process.execPath, [join(dir, 'main.js'), 'plan'], {
      cwd: dir, env: { PATH: process.env.PATH, CODER_INNER_IMAGE: 'registry.test/ws:1', CODER_INNER_USERNAME: 'coder', CODER_AGENT_TOKEN: 'bundle-test-token-4711', ENVBOX_IMAGE_FACTS: facts },
    });
    const doc = JSON.parse(plan.stdout) as { container: { name: string } };
    assert.equal(doc.container.name, 'workspace_cvm');
    assert.ok(!plan.stdout.includes('bundle-test-token-4711'));
  });

  it('re-exports every name of the API, from the one instance main.js loads', async () => {
    const facade = await import(join(dir, 'index.mjs')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(facade).sort(), Object.keys(api).sort());
    const loaded = createRequire(import.meta.url)(join(dir, 'envbox.cjs')) as { api: Record<string, unknown> };
    assert.equal(facade.InputError, loaded.api.InputError, 'one class, whichever way it is reached');
  });
});
