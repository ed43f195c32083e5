// The arm64 image (ENVBOX_IMAGE_ARCH=all npm run image: dist/envbox-image-arm64.tar) on a real dockerd of
// the test's own, its arm64 programs run by qemu-user-static through binfmt_misc (deploy/binfmt-arm64.sh),
// and the OCI layout (dist/envbox-oci/) that holds it with the amd64 image.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, EnvboxRun, mustRun, repoRoot, Sandbox, type World } from './harness/index.js';
import { oneLinerFlags, startOuterDaemon, type OuterDaemon } from './harness/outer-daemon.js';
import { basicAuth, fakeAgentToken, pullSecret } from './harness/scenario.js';
import { IMAGE_FACTS } from './harness/site-config.js';
import { CONFIG_MEDIA_TYPE, INDEX_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, type Descriptor } from '../deploy/oci-index.js';

const ARCHIVE = join(repoRoot, 'dist', 'envbox-image-arm64.tar');
const AMD64_ARCHIVE = join(repoRoot, 'dist', 'envbox-image-amd64.tar');
const OCI_DIR = join(repoRoot, 'dist', 'envbox-oci');
const TAG = 'envbox:latest-arm64';
const OUTER = 'envbox-arm64';

async function version(): Promise<string> {
  return (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function blobPath(digest: string): string {
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  return join(OCI_DIR, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** A blob as its descriptor names it: present, of that size, with that sha256. */
async function checkBlob(descriptor: Descriptor): Promise<void> {
  const file = blobPath(descriptor.digest);
  assert.equal((await stat(file)).size, descriptor.size, `size of ${descriptor.digest}`);
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  assert.equal(`sha256:${hash.digest('hex')}`, descriptor.digest, `content of ${descriptor.digest}`);
}

async function readJsonBlob<T>(descriptor: Descriptor): Promise<T> {
  await checkBlob(descriptor);
  return JSON.parse(await readFile(blobPath(descriptor.digest), 'utf8')) as T;
}

describe('the OCI layout of both images', () => {
  test('index.json names one image index, by the version, whose manifests are linux/amd64 and linux/arm64 with matching configs and blobs', async () => {
    assert.equal(existsSync(join(OCI_DIR, 'index.json')), true, `${OCI_DIR} is missing: run \`ENVBOX_IMAGE_ARCH=all npm run image\` first (npm test does)`);
    assert.deepEqual(JSON.parse(await readFile(join(OCI_DIR, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const top = JSON.parse(await readFile(join(OCI_DIR, 'index.json'), 'utf8')) as { schemaVersion: number; mediaType: string; manifests: Descriptor[] };
    assert.equal(top.schemaVersion, 2);
    assert.equal(top.mediaType, INDEX_MEDIA_TYPE);
    assert.equal(top.manifests.length, 1);
    const named = top.manifests[0]!;
    assert.equal(named.mediaType, INDEX_MEDIA_TYPE);
    assert.equal(named.annotations?.['org.opencontainers.image.ref.name'], await version());

    const index = await readJsonBlob<{ mediaType: string; manifests: Descriptor[] }>(named);
    assert.equal(index.mediaType, INDEX_MEDIA_TYPE);
    assert.deepEqual(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    for (const entry of index.manifests) {
      assert.equal(entry.mediaType, MANIFEST_MEDIA_TYPE);
      const manifest = await readJsonBlob<{ schemaVersion: number; mediaType: string; config: Descriptor; layers: Descriptor[] }>(entry);
      assert.equal(manifest.mediaType, MANIFEST_MEDIA_TYPE);
      assert.equal(manifest.config.mediaType, CONFIG_MEDIA_TYPE);
      const config = await readJsonBlob<{ architecture: string; os: string; rootfs: { diff_ids: string[] } }>(manifest.config);
      // The platform is the image's own: an arm64 image that says amd64 would be run on the wrong nodes.
      assert.deepEqual({ architecture: config.architecture, os: config.os }, { architecture: entry.platform?.architecture, os: entry.platform?.os });
      assert.ok(manifest.layers.length > 0);
      assert.deepEqual(manifest.layers.map((l) => l.digest), config.rootfs.diff_ids, 'uncompressed layers: each digest is its diff id');
      for (const layer of manifest.layers) {
        assert.equal(layer.mediaType, LAYER_MEDIA_TYPE);
        await checkBlob(layer);
      }
    }
  });

  test('each platform\'s config is the image `docker save` wrote for that architecture', async () => {
    const top = JSON.parse(await readFile(join(OCI_DIR, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const index = await readJsonBlob<{ manifests: Descriptor[] }>(top.manifests[0]!);
    for (const [arch, archive] of [['amd64', AMD64_ARCHIVE], ['arm64', ARCHIVE]] as const) {
      const entry = index.manifests.find((m) => m.platform?.architecture === arch);
      assert.ok(entry, arch);
      const manifest = await readJsonBlob<{ config: Descriptor }>(entry);
      // docker save names the config <image id>.json, and the image id is the config's sha256.
      const saved = JSON.parse(await mustRun(['tar', '-xOf', archive, 'manifest.json'])) as Array<{ Config: string }>;
      assert.equal(saved[0]?.Config.replace(/^blobs\/sha256\//, '').replace(/\.json$/, ''), manifest.config.digest.slice('sha256:'.length), archive);
    }
  });
});

describe('the arm64 image under emulation', () => {
  let world: World;
  let sandbox: Sandbox;
  let outer: OuterDaemon;
  const token = fakeAgentToken();
  const runs: EnvboxRun[] = [];

  before(async () => {
    // Idempotent: registers qemu-aarch64 (with the F flag, so containers run arm64 programs) if it is not.
    await mustRun(['bash', join(repoRoot, 'deploy', 'binfmt-arm64.sh')], { timeoutMs: 300_000 });
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'arm64');
    outer = await startOuterDaemon(world, sandbox, { archive: ARCHIVE });
  });

  after(async () => {
    for (const r of runs) r.kill();
    if (outer) {
      await outer.docker(['rm', '-f', OUTER]);
      await outer.stop();
    }
    if (sandbox) await sandbox.destroy();
    if (world) await destroyWorld(world);
  });

  test('the image is arm64, and its programs run as aarch64 ones (uname -m, node\'s process.arch)', async (t) => {
    const inspect = await outer.docker(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', TAG]);
    assert.equal(inspect.stdout.trim(), 'linux/arm64', inspect.stderr);
    const uname = await outer.docker(['run', '--rm', TAG, 'uname', '-m']);
    assert.equal(uname.stdout.trim(), 'aarch64', uname.stderr);
    const node = await outer.docker(['run', '--rm', TAG, '/usr/local/bin/node', '-p', '`${process.arch} ${process.version}`']);
    assert.match(node.stdout.trim(), /^arm64 v\d+\.\d+\.\d+$/, node.stderr);
    t.diagnostic(`uname -m: ${uname.stdout.trim()}; node: ${node.stdout.trim()}`);
  });

  test('/envbox --version', async (t) => {
    const run = await outer.docker(['run', '--rm', TAG, '/envbox', '--version']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stdout.trim(), `envbox ${await version()}`);
    t.diagnostic(run.stdout.trim());
  });

  test('/envbox plan: the container it would create', async (t) => {
    const plan = await outer.docker(['run', '--rm', '-e', `ENVBOX_IMAGE_FACTS=${IMAGE_FACTS}`, '-e', 'CODER_INNER_IMAGE=registry.example.com/ws:1',
      '-e', 'CODER_INNER_USERNAME=coder', '-e', 'CODER_CPUS=1', '-e', 'ENVBOX_RUNTIME=runc', TAG, '/envbox', 'plan']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const parsed = JSON.parse(plan.stdout) as { container: { create: { Image: string; Env: string[] } } };
    assert.equal(parsed.container.create.Image, 'registry.example.com/ws:1');
    t.diagnostic(`plan: ${plan.stdout.length} bytes of JSON, image ${parsed.container.create.Image}`);
  });

  test('the one-liner: envbox docker in the arm64 outer container reaches done, and docker stop ends it with exit 0', async (t) => {
    // dockerd needs iptables for its bridge. qemu-user (7.2, Debian 12) translates no netfilter netlink
    // (iptables-nft: "Failed to initialize nft: Protocol not supported") and not the legacy tables'
    // socket options either ("Table does not exist"), so under it the inner dockerd cannot start. On arm64
    // hardware, or a qemu that can, the probe passes and the one-liner runs; any other failure of the
    // probe fails the test.
    const probe = await outer.docker(['run', '--rm', '--privileged', TAG, 'iptables', '-t', 'nat', '-N', 'ENVBOX_PROBE'], { timeoutMs: 120_000 });
    if (probe.exitCode !== 0) {
      assert.match(probe.stderr, /Failed to initialize nft: Protocol not supported/, `iptables in the arm64 image failed otherwise: ${probe.stderr}`);
      t.skip(`emulation does not allow it: iptables under qemu-user fails ("${probe.stderr.trim().split('\n').pop()}"), so the inner dockerd cannot create its NAT chain; needs arm64 hardware`);
      return;
    }
    const argv = outer.dockerArgv(['run', '--rm', '--name', OUTER, ...await oneLinerFlags(world, sandbox, outer, '/tmp/envbox-arm64'), TAG, '/envbox', 'docker']);
    const startedAt = Date.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      env: {
        PATH: process.env.PATH, HOME: '/root', DOCKER_CONFIG: sandbox.paths.dockerCliConfig,
        CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: outer.registryHost }), CODER_AGENT_TOKEN: token,
        CODER_BOOTSTRAP_SCRIPT: 'trap \'echo "bootstrap got SIGTERM"; exit 0\' TERM\necho "bootstrap on $(uname -m)"\nwhile :; do sleep 1 & wait $!; done',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = new EnvboxRun(child, join(sandbox.paths.dir, 'harness-dockerd.log'), 'docker run ... envbox:latest-arm64 /envbox docker');
    runs.push(run);
    await run.waitForDone(600_000);
    t.diagnostic(`docker run to done under emulation: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    const status = await outer.docker(['exec', OUTER, '/envbox', 'status']);
    assert.equal(status.exitCode, 0, `${status.stdout}${status.stderr}`);
    const stop = await outer.docker(['stop', OUTER], { timeoutMs: 120_000 });
    assert.equal(stop.exitCode, 0, stop.stderr);
    assert.deepEqual(await run.waitForExit(60_000), { code: 0, signal: null }, run.tail());
    assert.ok(run.buildLog().some((l) => l.output.includes('bootstrap got SIGTERM')), run.tail());
    const all = `${run.stdoutText()}${run.stderrText()}`;
    for (const secret of [world.registry.password, basicAuth(world), token]) assert.equal(all.includes(secret), false, 'a secret appears in the output');
  });
});
