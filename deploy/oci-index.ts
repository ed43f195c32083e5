// Writes an OCI image layout that holds one multi-platform image made of `docker save` archives:
// `node --import tsx deploy/oci-index.ts <outDir> <archive>...` (build-image.sh runs it for
// ENVBOX_IMAGE_ARCH=all). docker 20.10 cannot build a multi-platform image, and saves the legacy format
// (manifest.json, a config file, uncompressed layer.tar files), so the layout is made here:
//   index.json      one descriptor: the image index below, named by org.opencontainers.image.ref.name
//                   (the version), so that `skopeo copy --all oci:<outDir>:<version> docker://...`
//                   publishes both platforms under one tag;
//   blobs/sha256/   that image index (one manifest per archive, each with its platform), the manifests,
//                   the configs and the layers (each an uncompressed tar, so its digest is its diff id).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';
const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

interface SavedImage {
  Config: string;
  Layers: string[];
}

interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs?: { diff_ids?: string[] };
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest('hex')}`;
}

/** Moves a file into blobs/ under its digest (a blob already there is the same content). */
async function moveToBlobs(outDir: string, file: string, mediaType: string): Promise<Descriptor> {
  const digest = await sha256OfFile(file);
  const { size } = await stat(file);
  await rename(file, join(outDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  return { mediaType, digest, size };
}

async function writeJsonBlob(outDir: string, value: unknown, mediaType: string): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(outDir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  return { mediaType, digest, size: bytes.length };
}

/** One `docker save` archive of one image: its manifest's descriptor, with the platform its config names. */
async function addArchive(outDir: string, archive: string): Promise<Descriptor> {
  const unpacked = await mkdtemp(join(outDir, '.unpack-'));
  try {
    await promisify(execFile)('tar', ['-xf', archive, '-C', unpacked]);
    const saved = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as SavedImage[];
    if (saved.length !== 1) throw new Error(`${archive} holds ${saved.length} images; one per archive is expected`);
    const image = saved[0]!;
    const config = JSON.parse(await readFile(join(unpacked, image.Config), 'utf8')) as ImageConfig;
    if (!config.architecture || !config.os) throw new Error(`${archive}: the image config names no architecture or os`);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers: Descriptor[] = [];
    for (const [i, layer] of image.Layers.entries()) {
      const descriptor = await moveToBlobs(outDir, join(unpacked, layer), LAYER_MEDIA_TYPE);
      // The layers are uncompressed, so each digest must be the config's diff id: a check on the archive.
      if (descriptor.digest !== diffIds[i]) throw new Error(`${archive}: layer ${i} has digest ${descriptor.digest}, the config says ${diffIds[i]}`);
      layers.push(descriptor);
    }
    const configDescriptor = await moveToBlobs(outDir, join(unpacked, image.Config), CONFIG_MEDIA_TYPE);
    const manifest = await writeJsonBlob(outDir, { schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config: configDescriptor, layers }, MANIFEST_MEDIA_TYPE);
    const platform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
    return { ...manifest, platform };
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}

export async function writeOciLayout(outDir: string, archives: readonly string[], refName: string): Promise<Descriptor> {
  // Written beside, then swapped in: a half-written layout never stands at outDir.
  const partial = `${outDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(partial, 'blobs', 'sha256'), { recursive: true });
  let named: Descriptor;
  try {
    const manifests: Descriptor[] = [];
    for (const archive of archives) manifests.push(await addArchive(partial, resolve(archive)));
    const platforms = manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`);
    if (new Set(platforms).size !== platforms.length) throw new Error(`two archives are for the same platform: ${platforms.join(', ')}`);
    const index = await writeJsonBlob(partial, { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests }, INDEX_MEDIA_TYPE);
    named = { ...index, annotations: { [REF_NAME]: refName } };
    await writeFile(join(partial, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(partial, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [named] }, null, 2));
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  await rm(outDir, { recursive: true, force: true });
  await rename(partial, outDir);
  return named;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [outDir, ...archives] = process.argv.slice(2);
  if (!outDir || archives.length === 0) {
    console.error('usage: node --import tsx deploy/oci-index.ts <outDir> <docker-save archive>... (e.g. dist/envbox-oci dist/envbox-image-amd64.tar dist/envbox-image-arm64.tar)');
    process.exit(2);
  }
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const index = await writeOciLayout(resolve(outDir), archives, pkg.version);
  console.error(`envbox image: wrote the OCI layout ${outDir} (${index.digest}, ref ${pkg.version})`);
}
