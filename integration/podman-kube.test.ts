// examples/kubernetes/pod.yaml, with its ConfigMap, its claim and its pull secret, run by a real engine that
// reads Kubernetes YAML: podman 4.3's `kube play` (Debian's podman and catatonit; integration/world/setup.sh
// installs them). The manifest is the one users apply; what this engine or this machine cannot take is
// changed in `forPodman` below, each change with its reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { createWorld, destroyWorld, repoRoot, run, Sandbox, waitUntil, type World } from './harness/index.js';
import { assertImageIsFresh, IMAGE_ARCHIVE } from './harness/outer-daemon.js';
import { LOOPBACK_REGISTRY, startPodman, type Podman } from './harness/podman.js';
import { basicAuth, pullSecret } from './harness/scenario.js';
import { parseQuantity } from '../examples/test/quantity.js';

const KUBE_DIR = join(repoRoot, 'examples', 'kubernetes');
const IMAGE = 'localhost/envbox-under-test:latest';
/** What the test's bootstrap says on SIGTERM. */
const TERM_SEEN = 'bootstrap got SIGTERM';

const readYaml = async <T>(file: string): Promise<T> => parse(await readFile(join(KUBE_DIR, file), 'utf8')) as T;

/** A claim name per subPath: `home` + `cache/docker` → `envbox-home-cache-docker`. */
const claimFor = (claim: string, subPath: string) => `${claim}-${subPath.replaceAll('/', '-')}`;

/**
 * pod.yaml and pvc.yaml as podman 4.3 on this VM can run them. Every change is a limit of the engine or
 * of this machine, not of the manifest:
 */
function forPodman(pod: IPod, claim: IPersistentVolumeClaim, libModules: string): { pod: IPod; claims: IPersistentVolumeClaim[] } {
  const out = structuredClone(pod);
  const spec = out.spec!;
  const container = spec.containers.find((c) => c.command?.[0] === '/envbox')!;
  // Podman's own pod network would need CNI and DNS, and a name that is not in the pod's /etc/hosts
  // resolves here to the workplace's package proxy. The host network is the sandbox's network namespace
  // (podman runs in it), with the registry on its 127.0.0.1.
  spec.hostNetwork = true;
  // The image `npm run image` built, loaded with `podman load`; nothing is pulled.
  container.image = IMAGE;
  container.imagePullPolicy = 'Never';
  const env = container.env!;
  const set = (name: string, value: string) => {
    const found = env.find((e) => e.name === name);
    if (found) { found.value = value; delete found.valueFrom; } else env.push({ name, value });
  };
  // The world's workspace image, from a registry that requires the pull secret.
  set('CODER_INNER_IMAGE', `${LOOPBACK_REGISTRY}/workspace:init`);
  // Sysbox cannot be had on this machine (shared/TESTWORLD.md); the image has none.
  set('ENVBOX_RUNTIME', 'runc');
  // The manifest's bootstrap says its line and exits; this one stays, so that a stop can reach it.
  set('CODER_BOOTSTRAP_SCRIPT', [
    'echo "workspace $(hostname) is up"',
    `trap 'echo "${TERM_SEEN}"; exit 0' TERM`,
    'while :; do sleep 1 & wait $!; done',
  ].join('\n'));
  // Podman 4.3 ignores subPath on a claim: every subPath mount of one claim would land on the same
  // directory, the very sharing the manifest's separate subPaths forbid. Each gets a claim of its own.
  const claims: IPersistentVolumeClaim[] = [];
  const claimVolumes = new Map((spec.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => [v.name, v.persistentVolumeClaim!.claimName]));
  for (const mount of container.volumeMounts ?? []) {
    const claimName = claimVolumes.get(mount.name);
    if (!claimName || !mount.subPath) continue;
    const name = claimFor(claimName, mount.subPath);
    spec.volumes!.push({ name, persistentVolumeClaim: { claimName: name } });
    claims.push({ ...structuredClone(claim), metadata: { ...claim.metadata, name } });
    mount.name = name;
    delete mount.subPath;
  }
  spec.volumes = spec.volumes!.filter((v) => !claimVolumes.has(v.name));
  // A hostPath must exist, and this VM has no /lib/modules: an empty directory stands in.
  for (const volume of spec.volumes) if (volume.hostPath?.path === '/lib/modules') volume.hostPath.path = libModules;
  return { pod: out, claims };
}

/** `podman logs -f`: both streams, kept, and waited on. */
class FollowedLogs {
  private text = '';
  readonly child: ChildProcess;
  constructor(argv: string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on('data', (d: Buffer) => { this.text += d.toString('utf8'); });
  }
  get all(): string { return this.text; }
  /** The build log's lines (JSON), in order. */
  buildLog(): { type: string; output: string }[] {
    return this.text.split('\n').flatMap((line) => {
      try { return [JSON.parse(line) as { type: string; output: string }]; } catch { return []; }
    });
  }
  async waitFor(what: string, found: () => boolean, timeoutMs: number): Promise<void> {
    if (!await waitUntil(async () => found(), timeoutMs, 200)) throw new Error(`${what} not seen after ${timeoutMs} ms; the pod's log ends:\n${this.text.slice(-4000)}`);
  }
  stop(): void { if (this.child.exitCode === null) this.child.kill('SIGTERM'); }
}

describe('examples/kubernetes/pod.yaml under podman kube play', () => {
  let world: World;
  let sandbox: Sandbox;
  let engine: Podman;
  let logs: FollowedLogs;
  let original: IPod;
  let playFile: string;
  let containerName: string;
  let downDone = false;
  const hostNetworkBefore: { links: string; chains: string } = { links: '', chains: '' };
  const secretJson = () => pullSecret(world, { key: LOOPBACK_REGISTRY });

  const rootNamespaceState = async () => ({
    links: (await run(['ip', '-o', 'link', 'show'])).stdout.split('\n').map((l) => l.split(':')[1]?.trim()).filter((n) => n?.startsWith('docker')).join(','),
    chains: (await run(['iptables', '-S'])).stdout.split('\n').filter((l) => /DOCKER/.test(l)).join('\n'),
  });

  const podman = (args: string[], timeoutMs?: number) => engine.podman(args, timeoutMs ? { timeoutMs } : {});
  const inPod = (argv: string[]) => podman(['exec', containerName, ...argv]);

  before(async () => {
    await assertImageIsFresh();
    Object.assign(hostNetworkBefore, await rootNamespaceState());
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'podman-kube');
    engine = await startPodman(world, sandbox);

    const loaded = await podman(['load', '-i', IMAGE_ARCHIVE], 300_000);
    assert.equal(loaded.exitCode, 0, loaded.stderr);
    const name = /Loaded image(?:\(s\))?: (\S+)/.exec(loaded.stdout)?.[1];
    assert.ok(name, loaded.stdout);
    assert.equal((await podman(['tag', name, IMAGE])).exitCode, 0);

    // podman 4.3 does not hand a `kind: Secret` of the YAML stream to secretKeyRef (fixed in 4.4); a podman
    // secret of the same name, holding the keys as base64, is what it reads.
    // From a file: podman reads `-` only from a FIFO, and node gives a child's stdin as a socket.
    const secretFile = join(sandbox.paths.dir, 'pull-secret.json');
    await writeFile(secretFile, JSON.stringify({ '.dockerconfigjson': Buffer.from(secretJson()).toString('base64') }), { mode: 0o600 });
    const created = await podman(['secret', 'create', 'envbox-pull-secret', secretFile]);
    await rm(secretFile);
    assert.equal(created.exitCode, 0, created.stderr);

    original = await readYaml<IPod>('pod.yaml');
    const { pod, claims } = forPodman(original, await readYaml<IPersistentVolumeClaim>('pvc.yaml'), await engine.hostDir('lib-modules'));
    playFile = join(sandbox.paths.dir, 'podman-kube.yaml');
    await writeFile(playFile, [...claims, pod].map((doc) => stringify(doc)).join('---\n'));
    const played = await podman(['kube', 'play', '--configmap', join(KUBE_DIR, 'configmap.yaml'), playFile], 180_000);
    assert.equal(played.exitCode, 0, `${played.stdout}${played.stderr}`);
    containerName = `${pod.metadata!.name}-${pod.spec!.containers[0]!.name}`;
    logs = new FollowedLogs(engine.argv(['logs', '-f', containerName]));
  });

  after(async () => {
    logs?.stop();
    if (engine) {
      if (!downDone && playFile) await podman(['kube', 'down', playFile]);
      // Everything podman made (images, volumes, secrets, the layers' mounts) goes with its storage.
      await podman(['system', 'reset', '--force'], 120_000);
      await engine.stop();
    }
    if (sandbox) await sandbox.destroy();
    if (world) await destroyWorld(world);
  });

  test('the build log reaches done', async (t) => {
    await logs.waitFor('the build log\'s done line', () => logs.buildLog().some((l) => l.type === 'done'), 180_000);
    t.diagnostic(logs.buildLog().map((l) => `${l.type}: ${l.output}`).slice(-6).join('\n'));
  });

  test('the readiness probe command from the manifest answers', async () => {
    const probe = original.spec!.containers[0]!.readinessProbe!.exec!.command!;
    const answer = await inPod(probe);
    assert.equal(answer.exitCode, 0, `${probe.join(' ')}: ${answer.stderr}`);
  });

  test('the ConfigMap\'s site plugin takes effect: the workspace has its env var', async () => {
    const env = await inPod(['docker', 'inspect', 'workspace_cvm', '--format', '{{json .Config.Env}}']);
    assert.equal(env.exitCode, 0, env.stderr);
    assert.ok((JSON.parse(env.stdout) as string[]).includes('CLUSTER_NAME=dev-eu-1'), env.stdout);
  });

  test('the Downward API limits reach envbox and the workspace', async () => {
    const limits = original.spec!.containers[0]!.resources!.limits!;
    const [cpus, memory] = [parseQuantity(limits.cpu as string), parseQuantity(limits.memory as string)];
    const seen = await inPod(['sh', '-c', 'echo "$CODER_CPUS $CODER_MEMORY"']);
    assert.equal(seen.stdout.trim(), `${Math.ceil(cpus)} ${memory}`);
    const host = await inPod(['docker', 'inspect', 'workspace_cvm', '--format', '{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}}']);
    const [workspaceMemory, quota, period] = host.stdout.trim().split(' ').map(Number);
    assert.equal(workspaceMemory, memory, host.stdout);
    assert.equal(quota! / period!, Math.ceil(cpus), host.stdout);
  });

  test('the workspace is named after the pod (fieldRef) and its bootstrap ran', async () => {
    await logs.waitFor('the bootstrap\'s line', () => logs.all.includes(`workspace ${original.metadata!.name} is up`), 30_000);
  });

  test('the pull secret arrived (the registry requires it) and no secret appears in the logs', async () => {
    assert.equal((await inPod(['sh', '-c', 'test -n "$CODER_IMAGE_PULL_SECRET"'])).exitCode, 0, 'CODER_IMAGE_PULL_SECRET is set');
    const text = (await podman(['logs', containerName])).stdout + logs.all;
    for (const secret of [world.registry.password, basicAuth(world), secretJson()]) assert.equal(text.includes(secret), false, 'a secret appears in the logs');
  });

  test('podman pod stop -t <grace> then kube down: exit 0, and the bootstrap saw SIGTERM', async (t) => {
    // podman 4.3's `kube down` kills at once, with no SIGTERM (graceful from 5.1). The kubelet's way:
    // SIGTERM, then up to terminationGracePeriodSeconds, then remove.
    const grace = original.spec!.terminationGracePeriodSeconds!;
    const startedAt = Date.now();
    const stop = await podman(['pod', 'stop', '-t', String(grace), original.metadata!.name!], (grace + 30) * 1000);
    t.diagnostic(`pod stop took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    assert.equal(stop.exitCode, 0, stop.stderr);
    const exit = await podman(['inspect', containerName, '--format', '{{.State.ExitCode}}']);
    assert.equal(exit.stdout.trim(), '0', `envbox's exit code\n${logs.all.slice(-3000)}`);
    await logs.waitFor('the bootstrap\'s SIGTERM line', () => logs.all.includes(TERM_SEEN), 10_000);
    const down = await podman(['kube', 'down', playFile]);
    assert.equal(down.exitCode, 0, down.stderr);
    downDone = true;
  });

  test('the engine\'s dockerd left nothing in this machine\'s network namespace', async () => {
    assert.deepEqual(await rootNamespaceState(), hostNetworkBefore);
  });

  test.skip('examples/kubernetes/pod-unprivileged.yaml: podman 4.3 cannot express it. `hostUsers: false` becomes '
    + '--userns=auto with 1024 ids (the kubelet gives 65536), too few for the envbox user\'s subordinate range 10000-65535 '
    + 'that its rootless dockerd maps; and /dev/net/tun and /dev/fuse come from device-plugin resources (squat.ai/tun, '
    + 'squat.ai/fuse), which podman has no way to give', () => {});
});

