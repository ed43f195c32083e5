import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, it } from 'node:test';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { collectInputs, prepareApp } from '../../core/engine/app.js';
import { CONFIG_FILE_NAMES } from '../../core/kernel/config/load-config.js';
import { builtinPlugins } from '../../plugins/index.js';
import { dockerSocket } from '../../core/kernel/inputs/core-inputs.js';
import { worstCaseShutdownSeconds } from '../../core/engine/lifecycle/shutdown-budget.js';
import { planContainer, planPull } from '../../core/engine/lifecycle/run-hooks.js';
import { readyMarkerPath, readyProbeScript } from '../../core/engine/status/ready-marker.js';
import { MemoryHost } from '../../testing/memory-host.js';
import { rootlessHost } from '../../testing/index.js';
import { ubuntuFacts } from '../../testing/index.js';
import { admissionProblems, EXAMPLES_DIR, validateAgainstSchema } from './manifests.js';
import { envboxContainer, resolveContainerEnv, volumeAt, type ClusterSamples } from './pod-env.js';
import { parseQuantity } from './quantity.js';

/** Read by the CLI before any input is resolved, so it is not an input itself (core/engine/app.ts). */
export const CONFIG_ENV = 'ENVBOX_CONFIG';

export function definedInputs() {
  return new Map(collectInputs(builtinPlugins()).map((def) => [def.env, def]));
}

/** The paths a workspace keeps across restarts, each on its own subPath of one volume (docs/deploy.md, "Volume layout"). */
export const PERSISTENT_PATHS = ['/home/coder', '/var/lib/coder/docker', '/var/lib/coder/containers', '/var/lib/docker', '/var/lib/containers'];

/**
 * Keyed by the registry of the examples' workspace image (Docker Hub, under the key `docker login` writes):
 * credentials go only to their own registry, so a secret for another registry would pull anonymously.
 */
export const SAMPLE_PULL_SECRET = JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('robot:s3cret-pull').toString('base64') } } });

const REPO_ROOT = join(EXAMPLES_DIR, '..');

/**
 * A folder standing in for the pod's config volume: the ConfigMap's files, and an `envbox` package that
 * points at this source tree (the image makes `envbox` resolvable its own way). The package.json marks
 * the folder ESM, because tsx would otherwise compile a typeless .js to CommonJS; plain Node 20 detects
 * the ESM syntax by itself.
 */
function configVolume(configMap: IConfigMap): string {
  const dir = mkdtempSync(join(tmpdir(), 'envbox-example-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (const [name, text] of Object.entries(configMap.data ?? {})) writeFileSync(join(dir, name), text);
  const pkg = join(dir, 'node_modules', 'envbox');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"envbox","type":"module","exports":"./index.js"}');
  writeFileSync(join(pkg, 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'core/api/index.ts')).href)};\n`);
  return dir;
}

export interface PodExpectations {
  /** Where this pod came from, for test names. */
  label: string;
  pod: () => IPod;
  configMaps: IConfigMap[];
  samples: ClusterSamples;
}

/**
 * The checks every envbox pod example gets: the schema, the API server's own rules, the shape of
 * Coder's envbox template, and envbox itself resolving the pod's env and config into a workspace.
 */
export function checkEnvboxPod({ label, pod, configMaps, samples }: PodExpectations): void {
  const container = () => envboxContainer(pod());
  const env = (name: string) => container().env?.find((e) => e.name === name);
  const resolvedEnv = () => resolveContainerEnv(pod(), container(), samples);
  const inputs = definedInputs();
  const valueOf = (name: string) => resolvedEnv()[name] ?? String(inputs.get(name)?.default ?? '');
  const rootless = () => valueOf('ENVBOX_ROOTLESS') === 'true';
  // ENVBOX_ROOTLESS implies runc: sysbox cannot run under a rootless dockerd.
  const usesSysboxInside = () => !rootless() && valueOf('ENVBOX_RUNTIME') === 'sysbox-runc';

  it(`${label}: matches the Kubernetes Pod schema and the API server's pod rules`, () => {
    validateAgainstSchema('Pod', pod());
    assert.deepEqual(admissionProblems(pod()), []);
  });

  it(`${label}: runs /envbox docker, privileged, in a sysbox RuntimeClass, or unprivileged and rootless`, () => {
    assert.deepEqual(container().command, ['/envbox', 'docker']);
    const security = container().securityContext;
    const privileged = security?.privileged === true;
    const sysboxClass = pod().spec?.runtimeClassName === 'sysbox-runc';
    assert.equal([privileged, sysboxClass, rootless()].filter(Boolean).length, 1, 'exactly one of privileged: true, runtimeClassName: sysbox-runc and ENVBOX_ROOTLESS=true');
    if (rootless()) {
      assert.equal(security?.privileged ?? false, false, 'no privileged flag');
      assert.deepEqual(security?.capabilities?.add ?? [], [], 'no added capability');
      assert.equal(pod().spec?.hostUsers, false, 'a user namespace of its own');
      assert.equal(security?.seccompProfile?.type, 'Unconfined');
      assert.equal(security?.procMount, 'Unmasked');
      assert.notEqual(security?.allowPrivilegeEscalation, false, 'newuidmap needs its file capabilities');
      const limits = container().resources?.limits ?? {};
      assert.equal(limits['squat.ai/tun'], '1', '/dev/net/tun from the device plugin');
      if (valueOf('CODER_ADD_FUSE') === 'true') assert.equal(limits['squat.ai/fuse'], '1', '/dev/fuse from the device plugin');
    }
    if (sysboxClass) assert.notEqual(valueOf('ENVBOX_RUNTIME'), 'sysbox-runc', 'sysbox cannot nest inside sysbox: set ENVBOX_RUNTIME=runc');
  });

  it(`${label}: CODER_CPUS and CODER_MEMORY come from the limits, in a form envbox reads exactly`, async () => {
    for (const [name, resource] of [['CODER_CPUS', 'limits.cpu'], ['CODER_MEMORY', 'limits.memory']] as const) {
      const ref = env(name)?.valueFrom?.resourceFieldRef;
      assert.equal(ref?.resource, resource, `${name} from resourceFieldRef ${resource}`);
    }
    const app = await preparedApp(rootless() ? delegatedCgroup2 : undefined);
    const { body } = await planContainer(app, ubuntuFacts);
    const limits = container().resources?.limits ?? {};
    assert.equal(body.HostConfig.Memory, parseQuantity(limits.memory as string), 'the workspace gets exactly the memory limit, in bytes');
    const quota = body.HostConfig.CpuQuota! / body.HostConfig.CpuPeriod!;
    assert.ok(quota >= parseQuantity(limits.cpu as string) && quota < parseQuantity(limits.cpu as string) + 1, `CPU quota ${quota} is the limit rounded up`);
  });

  it(`${label}: the pull secret comes from .dockerconfigjson of a secret, and envbox pulls with it`, async () => {
    const ref = env('CODER_IMAGE_PULL_SECRET')?.valueFrom?.secretKeyRef;
    assert.equal(ref?.key, '.dockerconfigjson');
    const { pull } = await planPull(await preparedApp());
    assert.deepEqual(pull.auth && 'username' in pull.auth ? pull.auth.username : null, 'robot');
  });

  it(`${label}: keeps every persistent path on its own subPath of one claim`, () => {
    const subPaths = PERSISTENT_PATHS.map((path) => {
      const found = volumeAt(pod(), container(), path);
      assert.ok(found && found.rest === '', `${path} is a mount point`);
      assert.ok(found.volume.persistentVolumeClaim, `${path} is on a PersistentVolumeClaim`);
      assert.ok(found.mount.subPath, `${path} has a subPath`);
      return `${found.mount.name}/${found.mount.subPath}`;
    });
    for (const a of subPaths) {
      for (const b of subPaths) if (a !== b) assert.ok(!b.startsWith(`${a}/`), `${b} lies inside ${a}: the two would share files`);
    }
    assert.equal(new Set(subPaths).size, subPaths.length, 'no two persistent paths share a subPath');
  });

  it(`${label}: gives sysbox its state dir and the host's kernel files when sysbox runs inside, and nothing of the host otherwise`, () => {
    if (!usesSysboxInside()) {
      assert.deepEqual(pod().spec?.volumes?.filter((v) => v.hostPath).map((v) => v.name), [], 'no hostPath volumes');
      return;
    }
    assert.ok(volumeAt(pod(), container(), '/var/lib/sysbox')?.volume.emptyDir, '/var/lib/sysbox is an emptyDir');
    for (const path of ['/usr/src', '/lib/modules']) {
      const found = volumeAt(pod(), container(), path);
      assert.equal(found?.volume.hostPath?.path, path, `${path} is the host's`);
      assert.equal(found?.mount.readOnly, true, `${path} is read-only`);
    }
  });

  it(`${label}: is ready when envbox's ready marker says so (no node start per probe), and shows envbox's termination message`, () => {
    const marker = readyMarkerPath(valueOf('ENVBOX_STATUS_FILE'));
    assert.deepEqual(container().readinessProbe?.exec?.command, ['/bin/sh', '-c', readyProbeScript(marker)]);
    assert.equal(container().terminationMessagePath ?? '/dev/termination-log', valueOf('ENVBOX_TERMINATION_LOG'));
  });

  it(`${label}: gives envbox time to stop everything before Kubernetes kills it`, () => {
    const needed = worstCaseShutdownSeconds(Number(valueOf('ENVBOX_SHUTDOWN_TIMEOUT')), usesSysboxInside());
    const grace = pod().spec?.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace >= needed, `terminationGracePeriodSeconds ${grace} < ${needed} s that a stop can take`);
  });

  it(`${label}: sets only env vars that envbox defines`, () => {
    for (const { name } of container().env ?? []) {
      if (/^(CODER|ENVBOX)_/.test(name)) assert.ok(inputs.has(name) || name === CONFIG_ENV, `${name} is not an envbox input`);
    }
  });

  /** Rootless limits are enforced only on a delegated cgroup v2 (plugins/resources unit-tests the v1 warning). */
  const delegatedCgroup2 = (host: MemoryHost) => host.file('/sys/fs/cgroup/cgroup.controllers', 'cpu memory pids\n').own('/sys/fs/cgroup', 1001, 1001);

  /**
   * The site config as the pod finds it: the file ENVBOX_CONFIG names, or else what envbox's search finds in
   * the container's working directory. Either must lie on a ConfigMap volume of the examples.
   */
  const siteConfig = () => {
    const values = resolvedEnv();
    const configDir = values[CONFIG_ENV] ? dirname(values[CONFIG_ENV]) : container().workingDir;
    assert.ok(configDir, `${CONFIG_ENV} or workingDir names the site config's directory`);
    const found = volumeAt(pod(), container(), configDir);
    const configMap = configMaps.find((c) => c.metadata?.name === found?.volume.configMap?.name);
    assert.ok(found && found.rest === '' && configMap, `${configDir} is a ConfigMap volume of the examples`);
    const file = values[CONFIG_ENV] ? basename(values[CONFIG_ENV]) : CONFIG_FILE_NAMES.find((name) => configMap.data?.[name]);
    assert.ok(file && configMap.data?.[file], `the ConfigMap ${configMap.metadata?.name} has ${file ?? 'an envbox config file'}`);
    return { found, configMap, file };
  };

  const preparedApp = async (view?: (host: MemoryHost) => MemoryHost, configDir?: string) => {
    const values = resolvedEnv();
    const { configMap, file } = siteConfig();
    const dir = configDir ?? configVolume(configMap);
    const env = values[CONFIG_ENV] ? { ...values, [CONFIG_ENV]: join(dir, file) } : values;
    return prepareApp({
      mode: 'plan', argv: [], env, cwd: dir,
      host: (view ?? ((h: MemoryHost) => h))(rootless() ? rootlessHost(values) : new MemoryHost(values)), stderr: { write: () => true }, builtins: builtinPlugins(),
    });
  };

  it(`${label}: starts without the site ConfigMap (the volume is optional and nothing names a file in it)`, async () => {
    const { found } = siteConfig();
    assert.equal(found.volume.configMap?.optional, true, 'the ConfigMap volume is optional');
    // What the kubelet mounts for an optional ConfigMap that does not exist: an empty directory.
    const empty = mkdtempSync(join(tmpdir(), 'envbox-example-no-config-'));
    after(() => rmSync(empty, { recursive: true, force: true }));
    const app = await preparedApp(undefined, empty);
    assert.ok(!app.plugins.some((p) => p.name === 'cluster-name'), 'no site plugin without the ConfigMap');
  });

  it(`${label}: envbox resolves its env and loads the site config from the ConfigMap`, async () => {
    const app = await preparedApp();
    const { body } = await planContainer(app, ubuntuFacts);
    const names = app.plugins.map((p) => p.name);
    assert.ok(names.includes('cluster-name') && names.includes('no-privileged-workspaces'), `site plugins loaded: ${names.join(', ')}`);
    assert.ok(!names.includes('gpu'), 'the config disables gpu');
    assert.ok(body.Env?.includes('CLUSTER_NAME=dev-eu-1'), 'the site plugin edited the workspace');
    assert.equal(body.Hostname, valueOf('CODER_INNER_HOSTNAME'));
    const binds = body.HostConfig.Binds ?? [];
    for (const bind of binds) {
      const source = bind.split(':')[0]!;
      // The rootless daemon's own socket (shared with the workspace) is made by envbox at start, not kept on a volume.
      if (source === app.options.get(dockerSocket)) continue;
      assert.ok(volumeAt(pod(), container(), source), `the workspace's bind ${bind} has a pod volume behind it`);
    }
  });
}
