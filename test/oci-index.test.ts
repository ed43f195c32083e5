// deploy/oci-index.ts on small `docker save`-shaped archives (docker 20.10's format), without a daemon:
// the real archives are checked by integration/arm64.test.ts.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, writeOciLayout, type Descriptor } from '../deploy/oci-index.js';

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A one-layer archive as `docker save` writes it; `diffId` lets a test make the config lie. */
async function savedArchive(dir: string, arch: string, options: { diffId?: string } = {}): Promise<string> {
  const root = join(dir, `saved-${arch}`);
  await mkdir(join(root, 'layer0'), { recursive: true });
  await mkdir(join(root, 'content'), { recursive: true });
  await writeFile(join(root, 'content', 'hello'), `hello from ${arch}\n`);
  await promisify(execFile)('tar', ['-cf', join(root, 'layer0', 'layer.tar'), '-C', join(root, 'content'), 'hello']);
  const layer = await readFile(join(root, 'layer0', 'layer.tar'));
  const config = JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [options.diffId ?? sha256(layer)] } });
  const id = sha256(config).slice('sha256:'.length);
  await writeFile(join(root, `${id}.json`), config);
  await writeFile(join(root, 'manifest.json'), JSON.stringify([{ Config: `${id}.json`, RepoTags: [`envbox:${arch}`], Layers: ['layer0/layer.tar'] }]));
  const archive = join(dir, `${arch}.tar`);
  await promisify(execFile)('tar', ['-cf', archive, '-C', root, 'manifest.json', `${id}.json`, 'layer0/layer.tar']);
  return archive;
}

async function blob<T>(out: string, descriptor: Descriptor): Promise<T> {
  const bytes = await readFile(join(out, 'blobs', 'sha256', descriptor.digest.slice('sha256:'.length)));
  assert.equal(sha256(bytes), descriptor.digest);
  assert.equal(bytes.length, descriptor.size);
  return JSON.parse(bytes.toString('utf8')) as T;
}

describe('writeOciLayout', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'envbox-oci-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('one named image index whose manifests carry each archive\'s platform, config and layer', async () => {
    const out = join(dir, 'oci');
    const named = await writeOciLayout(out, [await savedArchive(dir, 'amd64'), await savedArchive(dir, 'arm64')], '1.2.3');
    const top = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { mediaType: string; manifests: Descriptor[] };
    assert.equal(top.mediaType, INDEX_MEDIA_TYPE);
    assert.deepEqual(top.manifests, [named]);
    assert.equal(named.annotations?.['org.opencontainers.image.ref.name'], '1.2.3');
    const index = await blob<{ manifests: Descriptor[] }>(out, named);
    assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]);
    for (const entry of index.manifests) {
      assert.equal(entry.mediaType, MANIFEST_MEDIA_TYPE);
      const manifest = await blob<{ config: Descriptor; layers: Descriptor[] }>(out, entry);
      const config = await blob<{ architecture: string; rootfs: { diff_ids: string[] } }>(out, manifest.config);
      assert.equal(config.architecture, entry.platform?.architecture);
      assert.deepEqual(manifest.layers.map((l) => l.digest), config.rootfs.diff_ids);
      const layer = await readFile(join(out, 'blobs', 'sha256', manifest.layers[0]!.digest.slice('sha256:'.length)));
      assert.equal(sha256(layer), manifest.layers[0]!.digest);
    }
    assert.deepEqual(JSON.parse(await readFile(join(out, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  });

  test('a layer whose digest is not the config\'s diff id is refused, and no layout is left', async () => {
    const out = join(dir, 'oci-bad');
    await mkdir(join(dir, 'bad'), { recursive: true });
    const bad = await savedArchive(join(dir, 'bad'), 'arm64', { diffId: sha256('something else') });
    await assert.rejects(writeOciLayout(out, [bad], '1.2.3'), /layer 0 has digest sha256:[0-9a-f]{64}, the config says sha256:/);
    await assert.rejects(readFile(join(out, 'index.json')), { code: 'ENOENT' });
  });

  test('two archives of the same platform are refused', async () => {
    const amd64 = await savedArchive(dir, 'amd64');
    await assert.rejects(writeOciLayout(join(dir, 'oci-twice'), [amd64, amd64], '1.2.3'), /two archives are for the same platform: linux\/amd64, linux\/amd64/);
  });
});
