import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError, PluginError } from 'envbox';
import { NodeHost } from '../../core/engine/host/node-host.js';
import { MemoryHost, prepareTest, runContainerSpec, runPrePull, ubuntuFacts, runConfigure as configureWith } from 'envbox/testing';
import { gpuPlugin } from './index.js';
import { innerLibDirFor } from './inner-lib-dir.js';
import { findGpuLibraries } from './libraries.js';
import { sameDirSymlinks } from './same-dir-symlinks.js';

const LIB = '/var/coder/usr/lib';
const GPU_ON = { CODER_ADD_GPU: 'true', CODER_USR_LIB_DIR: LIB };
/** Images whose os-release ID has no lib dir of its own get /usr/lib, so expected targets read plainly. */
const plainFacts = { ...ubuntuFacts, osReleaseId: 'alpine' };

async function runConfigure(env: Record<string, string>) {
  return (await configureWith([gpuPlugin()], { env, host: new MemoryHost(env) })).options;
}

const EMPTY_BODY = { Image: 'ubuntu', HostConfig: {} };

/** The outer container of the original's TestGPUs: two device nodes, a driver mount and /etc/hosts. */
function gpuHost(env: Record<string, string> = {}) {
  return new MemoryHost(env)
    .mount('/usr/local/nvidia', { source: '/dev/sda1', options: ['ro'] })
    .mount('/etc/hosts', { source: '/dev/sda2', options: ['rw'] })
    .mount('/dev/nvidia0', { options: ['rw'] })
    .mount('/dev/nvidia1', { options: ['rw'] })
    .dir('/usr/local/nvidia')
    .file('/etc/hosts')
    .charDevice('/dev/nvidia0', 195, 0)
    .charDevice('/dev/nvidia1', 195, 1)
    .file(`${LIB}/nvidia/libglxserver_nvidia.so`)
    .file(`${LIB}/libnvidia-ml.so`)
    .file(`${LIB}/nvidia/libglxserver_nvidia.so.1`)
    .file(`${LIB}/libcurl-gnutls.so`)
    .file(`${LIB}/libglib.so`);
}

describe('gpu plugin: env vars (TestGPUEnvs)', () => {
  it('passes through every outer env var whose name contains nvidia, in any case, and no others', async () => {
    const env = { NVIDIA_TEST: '1', VULKAN_TEST: '1', LIBGL_TEST: '1', TEST_NVIDIA: '1', nvidia_test: '1', OTHER: 'NVIDIA' };
    const host = new MemoryHost(env).dir(LIB);
    const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host });
    assert.deepEqual([...(body.Env ?? [])].sort(), ['NVIDIA_TEST=1', 'TEST_NVIDIA=1', 'nvidia_test=1']);
  });
});

describe('gpu plugin: discovery (TestGPUs)', () => {
  it('maps /dev mounts as devices and binds the driver mount and the driver libraries read-only', async () => {
    const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host: gpuHost(), facts: plainFacts });
    assert.deepEqual(body.HostConfig.Devices, [
      { PathOnHost: '/dev/nvidia0', PathInContainer: '/dev/nvidia0', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/nvidia1', PathInContainer: '/dev/nvidia1', CgroupPermissions: 'rwm' },
    ]);
    assert.deepEqual(body.HostConfig.Binds, [
      '/usr/local/nvidia:/usr/local/nvidia:ro',
      `${LIB}/libnvidia-ml.so:/usr/lib/libnvidia-ml.so:ro`,
      `${LIB}/nvidia/libglxserver_nvidia.so:/usr/lib/nvidia/libglxserver_nvidia.so:ro`,
      `${LIB}/nvidia/libglxserver_nvidia.so.1:/usr/lib/nvidia/libglxserver_nvidia.so.1:ro`,
    ]);
  });

  it('finds libraries by name and .so suffix and leaves other libraries alone', async () => {
    const { paths, skipped } = await findGpuLibraries(gpuHost(), LIB);
    assert.deepEqual(paths, [
      `${LIB}/libnvidia-ml.so`,
      `${LIB}/nvidia/libglxserver_nvidia.so`,
      `${LIB}/nvidia/libglxserver_nvidia.so.1`,
    ]);
    assert.deepEqual(skipped, []);
  });

  it('matches libGL, libGLES, NVIDIA, vulkan and cuda libraries with versioned suffixes, not other files', async () => {
    const host = new MemoryHost()
      .file(`${LIB}/libGL.so.1`).file(`${LIB}/libGLESv2.so.2.1.0`).file(`${LIB}/libGLX_nvidia.so.0`).file(`${LIB}/libGLX.so.0`)
      .file(`${LIB}/libvulkan.so.1.3.250`).file(`${LIB}/libcuda.so`)
      .file(`${LIB}/libglib-2.0.so.0`).file(`${LIB}/libcuda.a`).file(`${LIB}/nvidia-smi`).file(`${LIB}/libcuda.so.bak`);
    const { paths } = await findGpuLibraries(host, LIB);
    // libGLX.so.0 is glvnd's dispatcher, which the image has itself; the original's pattern leaves it out too.
    assert.deepEqual(paths, [`${LIB}/libGL.so.1`, `${LIB}/libGLESv2.so.2.1.0`, `${LIB}/libGLX_nvidia.so.0`, `${LIB}/libcuda.so`, `${LIB}/libvulkan.so.1.3.250`]);
  });

  it('walks depth first in name order, a dir before its longer-named siblings ("a" < "a-b", though "a-b/" < "a/" as text)', async () => {
    const host = new MemoryHost().file(`${LIB}/libcuda.so`).file(`${LIB}/a-b/libcuda.so.1`).file(`${LIB}/a/libcuda.so.1`).file(`${LIB}/a/z/libcuda.so.2`);
    const { paths } = await findGpuLibraries(host, LIB);
    assert.deepEqual(paths, [`${LIB}/a/libcuda.so.1`, `${LIB}/a/z/libcuda.so.2`, `${LIB}/a-b/libcuda.so.1`, `${LIB}/libcuda.so`]);
  });
});

describe('gpu plugin: sameDirSymlinks (Test_SameDirSymlinks)', () => {
  const dir = '/tmp/links';
  const host = new MemoryHost()
    .file(`${dir}/file1.real`).file(`${dir}/file2.real`).file(`${dir}/file3.real`).file(`${dir}/file4.real`)
    .symlink(`${dir}/file1.link1`, `${dir}/file1.real`)
    .symlink(`${dir}/file1.link2`, `${dir}/file1.link1`)
    .symlink(`${dir}/dir/file2.link1`, `${dir}/file2.real`)
    .symlink(`${dir}/file4.link1`, 'file4.real');
  const cases: [string, string[]][] = [
    ['file1.real', [`${dir}/file1.link1`, `${dir}/file1.link2`]], // two links to the same file
    ['file1.link1', [`${dir}/file1.link2`]], // mid-way in the chain
    ['file1.link2', []], // end of the chain
    ['file2.real', []], // the only link is in another directory
    ['file3.real', []], // no links
    ['file4.real', [`${dir}/file4.link1`]], // a relative link
  ];
  for (const [name, expected] of cases) {
    it(`finds the links to ${name}`, async () => {
      assert.deepEqual(await sameDirSymlinks(host, `${dir}/${name}`), expected);
    });
  }

  it('finds the same links in a real directory through NodeHost, as the original tested', async () => {
    const real = await mkdtemp(join(tmpdir(), 'envbox-gpu-'));
    after(() => rm(real, { recursive: true, force: true }));
    for (const name of ['file1.real', 'file2.real', 'file4.real']) await writeFile(join(real, name), '');
    await symlink(join(real, 'file1.real'), join(real, 'file1.link1'));
    await symlink(join(real, 'file1.link1'), join(real, 'file1.link2'));
    await mkdir(join(real, 'dir'));
    await symlink(join(real, 'file2.real'), join(real, 'dir', 'file2.link1'));
    await symlink('file4.real', join(real, 'file4.link1'));
    const host = new NodeHost({});
    assert.deepEqual(await sameDirSymlinks(host, join(real, 'file1.real')), [join(real, 'file1.link1'), join(real, 'file1.link2')]);
    assert.deepEqual(await sameDirSymlinks(host, join(real, 'file2.real')), []);
    assert.deepEqual(await sameDirSymlinks(host, join(real, 'file4.real')), [join(real, 'file4.link1')]);
  });

  it('terminates on a loop of links and never lists the target itself', async () => {
    const looped = new MemoryHost().symlink('/d/a', '/d/b').symlink('/d/b', 'a').symlink('/d/c', 'b');
    assert.deepEqual(await sameDirSymlinks(looped, '/d/a'), ['/d/b', '/d/c']);
  });

  it('follows chains longer than a fixed number of passes', async () => {
    const long = new MemoryHost().file('/d/real');
    for (let i = 0; i < 15; i++) long.symlink(`/d/l${String(i).padStart(2, '0')}`, i === 0 ? 'real' : `l${String(i - 1).padStart(2, '0')}`);
    assert.equal((await sameDirSymlinks(long, '/d/real')).length, 15);
  });

  it('binds the links next to a driver mount read-only at the same path', async () => {
    const host2 = new MemoryHost()
      .mount('/usr/local/nvidia/lib64/libcuda.so.535.104.05', { options: ['ro'] })
      .file('/usr/local/nvidia/lib64/libcuda.so.535.104.05')
      .symlink('/usr/local/nvidia/lib64/libcuda.so.1', 'libcuda.so.535.104.05')
      .symlink('/usr/local/nvidia/lib64/libcuda.so', 'libcuda.so.1')
      .dir(LIB);
    const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host: host2 });
    assert.deepEqual(body.HostConfig.Binds, [
      '/usr/local/nvidia/lib64/libcuda.so.535.104.05:/usr/local/nvidia/lib64/libcuda.so.535.104.05:ro',
      '/usr/local/nvidia/lib64/libcuda.so:/usr/local/nvidia/lib64/libcuda.so:ro',
      '/usr/local/nvidia/lib64/libcuda.so.1:/usr/local/nvidia/lib64/libcuda.so.1:ro',
    ]);
  });
});

describe('gpu plugin: the docker command (cli GPU cases)', () => {
  it('rejects CODER_ADD_GPU without CODER_USR_LIB_DIR as an input error that names the variable (GPUNoUsrLibDir)', async () => {
    await assert.rejects(runConfigure({ CODER_ADD_GPU: 'true' }), (error: unknown) => {
      const input = error instanceof PluginError ? error.cause : error;
      assert.ok(input instanceof InputError, `expected an InputError, got ${String(error)}`);
      assert.match(input.message, /^CODER_USR_LIB_DIR: is required when CODER_ADD_GPU is true .*Example: CODER_USR_LIB_DIR=\/var\/coder\/usr\/lib$/);
      return true;
    });
  });

  it('accepts CODER_ADD_GPU with CODER_USR_LIB_DIR, and no GPU without either', async () => {
    // The configure tap validates only: the options come back as they went in.
    const plugin = gpuPlugin();
    const passThrough = { ...plugin, apply() {} };
    assert.deepEqual((await runConfigure(GPU_ON)).toJSON(), (await prepareTest([passThrough], { env: GPU_ON })).options.toJSON());
    assert.deepEqual((await runConfigure({})).toJSON(), (await prepareTest([passThrough], {})).options.toJSON());
  });

  it('unmounts /proc drivers, maps devices, binds mounts and libraries, passes NVIDIA env (GPU)', async () => {
    const env = { LIBGL_TEST: '1', VULKAN_TEST: '1', NVIDIA_TEST: '1', TEST_NVIDIA: '1', nvidia_test: '1' };
    const procDrivers = ['/proc/vulkan/foo', '/proc/nvidia/bar', '/proc/cuda/baz'];
    const host = new MemoryHost(env)
      .mount('/usr/local/nvidia', { source: '/dev/sda1', options: ['rw'] })
      .mount('/etc/hosts', { source: '/dev/sda2', options: ['rw'] })
      .mount('/dev/nvidia0', { options: ['rw'] })
      .mount('/dev/nvidia1', { options: ['rw'] })
      .file('/usr/local/nvidia')
      .charDevice('/dev/nvidia0', 195, 0)
      .charDevice('/dev/nvidia1', 195, 1)
      .file(`${LIB}/nvidia/libglxserver_nvidia.so`)
      .file(`${LIB}/libnvidia-ml.so`);
    for (const driver of procDrivers) host.file(driver).mount(driver, { options: ['rw'] });
    // A trailing slash on the lib dir must not break the remapping.
    const run = { env: { CODER_ADD_GPU: 'true', CODER_USR_LIB_DIR: `${LIB}/` }, host, facts: plainFacts };

    const { actions } = await runPrePull([gpuPlugin()], run);
    assert.deepEqual(actions.map((a) => a.kind === 'unmount' && a.path).sort(), [...procDrivers].sort());

    const { body } = await runContainerSpec([gpuPlugin()], run);
    assert.deepEqual(body.HostConfig.Devices, [
      { PathOnHost: '/dev/nvidia0', PathInContainer: '/dev/nvidia0', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/nvidia1', PathInContainer: '/dev/nvidia1', CgroupPermissions: 'rwm' },
    ]);
    const binds = body.HostConfig.Binds ?? [];
    // A read-write driver mount stays read-write, as in the original.
    assert.ok(binds.includes('/usr/local/nvidia:/usr/local/nvidia'), binds.join(' '));
    assert.ok(binds.includes(`${LIB}/nvidia/libglxserver_nvidia.so:/usr/lib/nvidia/libglxserver_nvidia.so:ro`), binds.join(' '));
    assert.ok(binds.includes(`${LIB}/libnvidia-ml.so:/usr/lib/libnvidia-ml.so:ro`), binds.join(' '));
    assert.ok(!binds.some((b) => b.startsWith('/proc/')), 'unmounted /proc drivers are not bound');
    for (const e of ['NVIDIA_TEST=1', 'TEST_NVIDIA=1', 'nvidia_test=1']) assert.ok(body.Env?.includes(e), e);
    assert.ok(!body.Env?.some((e) => e.startsWith('LIBGL_') || e.startsWith('VULKAN_')));
  });
});

describe('gpu plugin: inner lib dir', () => {
  const cases: [string, string, string][] = [
    ['debian', 'x64', '/usr/lib/x86_64-linux-gnu'],
    ['ubuntu', 'x64', '/usr/lib/x86_64-linux-gnu'],
    ['ubuntu', 'arm64', '/usr/lib/aarch64-linux-gnu'],
    ['debian', 'arm64', '/usr/lib/aarch64-linux-gnu'],
    ['fedora', 'x64', '/usr/lib64'],
    ['rhel', 'arm64', '/usr/lib64'],
    ['alpine', 'x64', '/usr/lib'],
    ['linux', 'x64', '/usr/lib'],
    ['something-new', 'arm64', '/usr/lib'],
  ];
  for (const [id, arch, expected] of cases) {
    it(`puts libraries of a ${id} image on ${arch} in ${expected}`, () => {
      assert.equal(innerLibDirFor(id, arch), expected);
    });
  }

  it('remaps host libraries by the image\'s os-release ID and this machine\'s arch', async () => {
    const host = new MemoryHost().file(`${LIB}/libcuda.so`);
    const multiarch = innerLibDirFor('ubuntu');
    assert.match(multiarch, /^\/usr\/lib(\/(x86_64|aarch64)-linux-gnu)?$/);
    for (const [osReleaseId, dir] of [['ubuntu', multiarch], ['rhel', '/usr/lib64'], ['alpine', '/usr/lib']] as const) {
      const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, facts: { ...ubuntuFacts, osReleaseId } });
      assert.deepEqual(body.HostConfig.Binds, [`${LIB}/libcuda.so:${dir}/libcuda.so:ro`], osReleaseId);
    }
  });

  it('uses CODER_INNER_USR_LIB_DIR over the detected dir', async () => {
    const host = new MemoryHost().file(`${LIB}/sub/libcuda.so`);
    const { body } = await runContainerSpec([gpuPlugin()], {
      env: { ...GPU_ON, CODER_INNER_USR_LIB_DIR: '/opt/gpu/lib' }, host, facts: { ...ubuntuFacts, osReleaseId: 'fedora' },
    });
    assert.deepEqual(body.HostConfig.Binds, [`${LIB}/sub/libcuda.so:/opt/gpu/lib/sub/libcuda.so:ro`]);
  });
});

describe('gpu plugin: runtimes', () => {
  it('binds /dev nodes with a device cgroup rule under runc, without declaring mknod or chown', async () => {
    const host = new MemoryHost().mount('/dev/nvidiactl').charDevice('/dev/nvidiactl', 195, 255)
      .mount('/dev/nvidia-uvm').charDevice('/dev/nvidia-uvm', 509, 0).dir(LIB);
    const { body, actions } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, runtime: 'runc' });
    assert.equal(body.HostConfig.Devices, undefined);
    assert.deepEqual(body.HostConfig.Binds, ['/dev/nvidiactl:/dev/nvidiactl', '/dev/nvidia-uvm:/dev/nvidia-uvm']);
    assert.deepEqual(body.HostConfig.DeviceCgroupRules, ['c 195:255 rwm', 'c 509:0 rwm']);
    assert.deepEqual(actions, []);
  });

  it('maps /dev nodes as Devices under sysbox-runc, without declaring mknod or chown', async () => {
    const host = new MemoryHost().mount('/dev/nvidiactl').charDevice('/dev/nvidiactl', 195, 255).dir(LIB);
    const { body, actions } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, runtime: 'sysbox-runc' });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/dev/nvidiactl', PathInContainer: '/dev/nvidiactl', CgroupPermissions: 'rwm' }]);
    assert.equal(body.HostConfig.DeviceCgroupRules, undefined);
    assert.equal(body.HostConfig.Binds, undefined);
    assert.deepEqual(actions, []);
  });

  it('maps the nodes inside a mounted /dev directory and skips a /dev mount that is no device', async () => {
    const host = new MemoryHost()
      .mount('/dev/nvidia-caps').charDevice('/dev/nvidia-caps/nvidia-cap1', 236, 1).charDevice('/dev/nvidia-caps/nvidia-cap2', 236, 2)
      .mount('/dev/shm/nvidia-ipc').file('/dev/shm/nvidia-ipc')
      .mount('/dev/nvidia-gone')
      .dir(LIB);
    const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, runtime: 'runc' });
    assert.deepEqual(body.HostConfig.DeviceCgroupRules, ['c 236:1 rwm', 'c 236:2 rwm']);
    assert.deepEqual(body.HostConfig.Binds, [
      '/dev/nvidia-caps/nvidia-cap1:/dev/nvidia-caps/nvidia-cap1',
      '/dev/nvidia-caps/nvidia-cap2:/dev/nvidia-caps/nvidia-cap2',
    ]);
  });
});

describe('gpu plugin: symlink chains in the lib dir', () => {
  it('binds every link of a chain, with relative and absolute targets that stay in the dir', async () => {
    const host = new MemoryHost()
      .file(`${LIB}/x86_64-linux-gnu/libcuda.so.535.104.05`)
      .symlink(`${LIB}/x86_64-linux-gnu/libcuda.so.1`, 'libcuda.so.535.104.05')
      .symlink(`${LIB}/x86_64-linux-gnu/libcuda.so`, `${LIB}/x86_64-linux-gnu/libcuda.so.1`)
      .symlink(`${LIB}/libcuda.so`, './x86_64-linux-gnu/../x86_64-linux-gnu/libcuda.so');
    const { paths } = await findGpuLibraries(host, LIB);
    assert.deepEqual(paths, [
      `${LIB}/libcuda.so`,
      `${LIB}/x86_64-linux-gnu/libcuda.so`,
      `${LIB}/x86_64-linux-gnu/libcuda.so.1`,
      `${LIB}/x86_64-linux-gnu/libcuda.so.535.104.05`,
    ]);
  });

  it('drops a chain that leaves the lib dir, all of it', async () => {
    const host = new MemoryHost()
      .symlink(`${LIB}/libnvidia-ml.so`, 'libnvidia-ml.so.1')
      // The host's absolute path, which does not exist in the outer container.
      .symlink(`${LIB}/libnvidia-ml.so.1`, '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535')
      .symlink(`${LIB}/libvulkan.so`, '../../libvulkan.so.1')
      .file(`${LIB}/libcuda.so`);
    const { paths, skipped } = await findGpuLibraries(host, LIB);
    assert.deepEqual(paths, [`${LIB}/libcuda.so`]);
    assert.deepEqual(skipped.map((s) => s.path), [`${LIB}/libnvidia-ml.so`, `${LIB}/libnvidia-ml.so.1`, `${LIB}/libvulkan.so`]);
    assert.match(skipped[0]!.reason, /leaves/);
  });

  it('survives a loop of links and a broken link', async () => {
    const host = new MemoryHost()
      .symlink(`${LIB}/libcuda.so`, 'libcuda.so.1')
      .symlink(`${LIB}/libcuda.so.1`, 'libcuda.so')
      .symlink(`${LIB}/libnvidia-gone.so`, 'libnvidia-gone.so.1')
      .file(`${LIB}/libGL.so.1`);
    const { paths, skipped } = await findGpuLibraries(host, LIB);
    assert.deepEqual(paths, [`${LIB}/libGL.so.1`]);
    assert.equal(skipped.length, 3);
    assert.match(skipped.find((s) => s.path === `${LIB}/libcuda.so`)!.reason, /loops/);
    assert.match(skipped.find((s) => s.path === `${LIB}/libnvidia-gone.so`)!.reason, /does not exist/);
  });

  it('does not descend into a symlinked directory', async () => {
    const host = new MemoryHost()
      .file('/elsewhere/nvidia/libnvidia-glcore.so')
      .file(`${LIB}/real/libcuda.so`)
      .symlink(`${LIB}/nvidia`, '/elsewhere/nvidia')
      .symlink(`${LIB}/again`, 'real');
    const { paths } = await findGpuLibraries(host, LIB);
    assert.deepEqual(paths, [`${LIB}/real/libcuda.so`]);
  });

  it('fails with a clear error when the lib dir is missing, naming plugin "gpu" and hook "containerSpec"', async () => {
    await assert.rejects(runContainerSpec([gpuPlugin()], { env: GPU_ON, host: new MemoryHost() }), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.plugin, 'gpu');
      assert.equal(error.hook, 'containerSpec');
      assert.match(error.message, /\/var\/coder\/usr\/lib \(CODER_USR_LIB_DIR\) does not exist/);
      return true;
    });
  });

  it('fails when the lib dir is a file', async () => {
    await assert.rejects(findGpuLibraries(new MemoryHost().file(LIB), LIB), /is not a directory/);
  });
});

describe('gpu plugin: /proc drivers', () => {
  it('declares best-effort unmounts of /proc GPU mounts only, deepest first', async () => {
    const host = new MemoryHost()
      .mount('/proc/driver/nvidia')
      .mount('/proc/driver/nvidia/gpus/0000:00:04.0')
      .mount('/proc/sys')
      .mount('/proc/driver/nvidia/capabilities')
      .mount('/usr/local/nvidia')
      .mount('/proc/CUDA');
    const { actions } = await runPrePull([gpuPlugin()], { env: GPU_ON, host });
    assert.deepEqual(actions, [
      { kind: 'unmount', path: '/proc/driver/nvidia/gpus/0000:00:04.0', bestEffort: true, plugin: 'gpu', hook: 'prePull' },
      { kind: 'unmount', path: '/proc/driver/nvidia/capabilities', bestEffort: true, plugin: 'gpu', hook: 'prePull' },
      { kind: 'unmount', path: '/proc/driver/nvidia', bestEffort: true, plugin: 'gpu', hook: 'prePull' },
      { kind: 'unmount', path: '/proc/CUDA', bestEffort: true, plugin: 'gpu', hook: 'prePull' },
    ]);
  });
});

describe('gpu plugin: composition', () => {
  it('changes nothing when CODER_ADD_GPU is off, whatever the host has', async () => {
    const host = gpuHost({ NVIDIA_VISIBLE_DEVICES: 'all' }).mount('/proc/driver/nvidia');
    const { body, actions } = await runContainerSpec([gpuPlugin()], { env: { CODER_USR_LIB_DIR: LIB }, host });
    assert.deepEqual(body, EMPTY_BODY);
    assert.deepEqual(actions, []);
    const pre = await runPrePull([gpuPlugin()], { host });
    assert.deepEqual(pre.actions, []);
  });

  it('is idempotent: applying the plugin twice gives the same body as once', async () => {
    const host = gpuHost({ NVIDIA_VISIBLE_DEVICES: 'all' }).mount('/usr/local/nvidia/libcuda.so.1').file('/usr/local/nvidia/libcuda.so.1')
      .symlink('/usr/local/nvidia/libcuda.so', 'libcuda.so.1');
    for (const runtime of ['sysbox-runc', 'runc']) {
      const once = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, runtime });
      const twice = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, runtime, body: once.body });
      assert.deepEqual(twice.body, once.body, runtime);
      assert.ok((once.body.HostConfig.Binds ?? []).length >= 5, runtime);
    }
  });

  it('never replaces a bind that is already there for the same target', async () => {
    const host = new MemoryHost().file(`${LIB}/libcuda.so`).file(`${LIB}/libnvidia-ml.so`);
    const body = { Image: 'ubuntu', HostConfig: { Binds: ['/home/me/libcuda.so:/usr/lib/libcuda.so'] } };
    const result = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, facts: plainFacts, body });
    assert.deepEqual(result.body.HostConfig.Binds, ['/home/me/libcuda.so:/usr/lib/libcuda.so', `${LIB}/libnvidia-ml.so:/usr/lib/libnvidia-ml.so:ro`]);
  });

  it('binds a library once when it is both a driver mount and in the lib dir', async () => {
    const host = new MemoryHost().mount(`${LIB}/libnvidia-ml.so`, { options: ['ro'] }).file(`${LIB}/libnvidia-ml.so`);
    const { body } = await runContainerSpec([gpuPlugin()], { env: GPU_ON, host, facts: plainFacts });
    assert.deepEqual(body.HostConfig.Binds, [`${LIB}/libnvidia-ml.so:/usr/lib/libnvidia-ml.so:ro`]);
  });

  it('owns its three inputs', () => {
    assert.deepEqual(gpuPlugin().inputs?.map((i) => [i.env, i.flag]), [
      ['CODER_ADD_GPU', 'add-gpu'], ['CODER_USR_LIB_DIR', 'usr-lib-dir'], ['CODER_INNER_USR_LIB_DIR', 'inner-usr-lib-dir'],
    ]);
  });

  it('rejects a relative CODER_USR_LIB_DIR', async () => {
    await assert.rejects(prepareTest([gpuPlugin()], { env: { CODER_USR_LIB_DIR: 'usr/lib' } }), /CODER_USR_LIB_DIR: "usr\/lib" is not an absolute path/);
  });
});
