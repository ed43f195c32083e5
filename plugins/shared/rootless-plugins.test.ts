import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeActions, actionsOf, rootlessHost, runConfigure, runContainerSpec, runPrePull, ubuntuFacts } from 'envbox/testing';
import { InputError, PluginError } from '../../core/errors.js';
import { certsPlugin } from '../certs/index.js';
import { fusePlugin } from '../fuse/index.js';
import { gpuPlugin } from '../gpu/index.js';
import { mountsPlugin } from '../mounts/index.js';
import { resourcesPlugin } from '../resources/index.js';
import { tunPlugin } from '../tun/index.js';
import { workspacePlugin } from '../workspace/index.js';

/** What each built-in plugin does with ENVBOX_ROOTLESS=true (docs/rootless.md states the same). */
const ROOTLESS = { ENVBOX_ROOTLESS: 'true' };

describe('mounts, rootless: ids on the volume', () => {
  it('gives a home dir source to the workspace user as the rootless namespace maps it (subuid start + uid - 1)', async () => {
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { ...ROOTLESS, CODER_MOUNTS: '/home/coder:/home/coder,/var/data:/data' }, host: rootlessHost() });
    const chowns = describeActions(actionsOf(actions, 'mounts')).filter((a) => a.includes('chown'));
    // /home/coder -> uid 1000 in the workspace -> 10000 + 1000 - 1 outside; /var/data -> the workspace's root = the rootless user envbox.
    assert.deepEqual(chowns, ['mounts/containerSpec: chown 10999:10999 /home/coder', 'mounts/containerSpec: chown 1001:1001 /var/data']);
  });

  it('refuses :chown (exit 2): its one-offset shift cannot follow the rootless mapping', async () => {
    await assert.rejects(runConfigure([mountsPlugin()], { env: { ...ROOTLESS, CODER_MOUNTS: '/home/coder:/home/coder:chown' } }),
      (e: unknown) => e instanceof InputError && /^CODER_MOUNTS: \/home\/coder:\.\.\.:chown is not supported with ENVBOX_ROOTLESS=true/.test(e.message));
  });

  it('keeps the rootful mapping (offset + uid) when rootless is off', async () => {
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/home/coder:/home/coder' } });
    assert.ok(describeActions(actions).includes('mounts/containerSpec: chown 101000:101000 /home/coder'));
  });
});

describe('fuse and tun, rootless', () => {
  it('pass the pod\'s own nodes as devices with SYS_ADMIN / NET_ADMIN, and make no node', async () => {
    const { body, actions } = await runContainerSpec([fusePlugin(), tunPlugin()], { env: { ...ROOTLESS, CODER_ADD_FUSE: 'true', CODER_ADD_TUN: 'true' }, host: rootlessHost() });
    assert.deepEqual(body.HostConfig.Devices, [
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' },
    ]);
    assert.deepEqual(body.HostConfig.CapAdd, ['SYS_ADMIN', 'NET_ADMIN']);
    assert.equal(body.HostConfig.Binds, undefined);
    assert.deepEqual(actions, []);
  });

  it('fail, naming the input and the fix, when the pod has no /dev/fuse', async () => {
    const host = rootlessHost().file('/dev/fuse', '');
    await assert.rejects(runContainerSpec([fusePlugin()], { env: { ...ROOTLESS, CODER_ADD_FUSE: 'true' }, host }),
      (e: unknown) => e instanceof PluginError && e.plugin === 'fuse' && /CODER_ADD_FUSE is true with ENVBOX_ROOTLESS, but the envbox container has no \/dev\/fuse/.test(e.message));
  });

  it('add nothing when off', async () => {
    const { body } = await runContainerSpec([fusePlugin(), tunPlugin()], { env: ROOTLESS, host: rootlessHost() });
    assert.equal(body.HostConfig.CapAdd, undefined);
  });
});

describe('resources, rootless', () => {
  it('on cgroup v1: sets no limit, warns once in the build log naming both inputs', async () => {
    const { body, buildLog } = await runContainerSpec([resourcesPlugin()], { env: { ...ROOTLESS, CODER_CPUS: '2', CODER_MEMORY: '1Gi', ENVBOX_CGROUP_ROOT: '/sys/fs/cgroup' }, host: rootlessHost() });
    assert.equal(body.HostConfig.CpuQuota, undefined);
    assert.equal(body.HostConfig.Memory, undefined);
    const warnings = buildLog.filter((e) => e.output.startsWith('Warning:'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.output, /^Warning: CODER_CPUS=2 and CODER_MEMORY=1073741824 not enforced on the workspace: the node uses cgroup v1/);
  });

  it('on cgroup v2 delegated to the rootless user (owned by it, cpu and memory available): enforces them', async () => {
    const host = rootlessHost().file('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n');
    host.own('/sys/fs/cgroup', 1001, 1001);
    const { body, buildLog } = await runContainerSpec([resourcesPlugin()], { env: { ...ROOTLESS, CODER_CPUS: '1.5', CODER_MEMORY: '512Mi' }, host });
    assert.equal(body.HostConfig.CpuQuota, 150000);
    assert.equal(body.HostConfig.CpuPeriod, 100000);
    assert.equal(body.HostConfig.Memory, 512 * 2 ** 20);
    assert.equal(buildLog.filter((e) => e.output.startsWith('Warning:')).length, 0);
  });

  it('on cgroup v2 not delegated, or without the memory controller: warns and says why', async () => {
    const notOwned = rootlessHost().file('/sys/fs/cgroup/cgroup.controllers', 'cpu memory\n');
    const a = await runContainerSpec([resourcesPlugin()], { env: { ...ROOTLESS, CODER_MEMORY: '1Gi' }, host: notOwned });
    assert.match(a.buildLog.at(-1)!.output, /not delegated to the rootless user envbox \(owned by uid 0, not 1001\)/);
    const noMemory = rootlessHost().file('/sys/fs/cgroup/cgroup.controllers', 'cpu pids\n');
    noMemory.own('/sys/fs/cgroup', 1001, 1001);
    const b = await runContainerSpec([resourcesPlugin()], { env: { ...ROOTLESS, CODER_CPUS: '1' }, host: noMemory });
    assert.match(b.buildLog.at(-1)!.output, /^Warning: CODER_CPUS=1 not enforced .*controllers memory are not delegated/);
    assert.equal(b.body.HostConfig.CpuQuota, undefined);
  });

  it('says nothing when no limit is asked for', async () => {
    const { buildLog } = await runContainerSpec([resourcesPlugin()], { env: ROOTLESS, host: rootlessHost() });
    assert.equal(buildLog.length, 0);
  });
});

describe('workspace, rootless: an image with /sbin/init', () => {
  const initFacts = { ...ubuntuFacts, hasInit: true };

  it('is refused as bad input (exit 2), naming ENVBOX_SKIP_INIT', async () => {
    await assert.rejects(runContainerSpec([workspacePlugin()], { env: ROOTLESS, host: rootlessHost(), facts: initFacts }),
      (e: unknown) => e instanceof InputError && /^ENVBOX_ROOTLESS: is true, and the image ubuntu has \/sbin\/init.*ENVBOX_SKIP_INIT=true/.test(e.message));
  });

  it('runs without init when ENVBOX_SKIP_INIT=true: sleep under docker\'s init', async () => {
    const { body } = await runContainerSpec([workspacePlugin()], { env: { ...ROOTLESS, ENVBOX_SKIP_INIT: 'true' }, host: rootlessHost(), facts: initFacts });
    assert.deepEqual(body.Entrypoint, ['sleep', 'infinity']);
    assert.equal(body.HostConfig.Init, true);
    assert.equal(body.HostConfig.Runtime, 'runc');
  });

  it('keeps /sbin/init in the privileged mode', async () => {
    const { body } = await runContainerSpec([workspacePlugin()], { facts: initFacts });
    assert.deepEqual(body.Entrypoint, ['/sbin/init']);
  });
});

describe('gpu, rootless', () => {
  it('refuses CODER_ADD_GPU with ENVBOX_ROOTLESS (exit 2)', async () => {
    await assert.rejects(runConfigure([gpuPlugin()], { env: { ...ROOTLESS, CODER_ADD_GPU: 'true', CODER_USR_LIB_DIR: '/var/coder/usr/lib' } }),
      (e: unknown) => e instanceof InputError && /^CODER_ADD_GPU: is true with ENVBOX_ROOTLESS=true, and GPUs are not supported in rootless mode/.test(e.message));
  });
});

describe('certs, rootless', () => {
  it('copies into the rootless user\'s ~/.config/docker/certs.d, where a rootless dockerd looks', async () => {
    const host = rootlessHost().file('/certs/ca.pem', 'PEM');
    const { actions } = await runPrePull([certsPlugin()], { env: { ...ROOTLESS, CODER_EXTRA_CERTS_PATH: '/certs/ca.pem', CODER_INNER_IMAGE: 'registry.test:5000/ws' }, host });
    assert.deepEqual(describeActions(actions), [
      'certs/prePull: mkdir -p -m 0755 /home/envbox/.config/docker/certs.d/registry.test:5000',
      'certs/prePull: copy /certs/ca.pem to /home/envbox/.config/docker/certs.d/registry.test:5000/ca.crt (mode 0644)',
    ]);
  });
});
