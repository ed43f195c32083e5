// The GPU plugin on the envbox image (Debian 13, dockerd 26 inside, ENVBOX_RUNTIME=runc) with a simulated
// NVIDIA driver, as this machine has no GPU: character device nodes made with mknod in the sandbox (never the
// machine's /dev) and bound into the outer container at /dev/nvidia*, a fake host /usr/lib with driver
// libraries and their symlink chains, and the NVIDIA_* env vars the NVIDIA runtime would set.
// Opening the nodes is not checked: no driver backs them, so open(2) cannot succeed anywhere.
import { spawn } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, EnvboxRun, mustRun, Sandbox, type World } from './harness/index.js';
import { IMAGE_TAG, oneLinerFlags, startOuterDaemon, type OuterDaemon } from './harness/outer-daemon.js';
import { fakeAgentToken, pullSecret } from './harness/scenario.js';

const OUTER = 'envbox-gpu-sim';
const WORKSPACE = 'workspace_cvm';
const OUTER_LIB_DIR = '/var/coder/usr/lib';
/** The world's busybox images say ID=debian in /etc/os-release, so on x64 the libraries go to the multiarch dir. */
const INNER_LIB_DIR = process.arch === 'arm64' ? '/usr/lib/aarch64-linux-gnu' : '/usr/lib/x86_64-linux-gnu';
/** What `envbox plan` would read from the workspace image (workspace:init: coder 1000, /sbin/init, ID=debian). */
const IMAGE_FACTS = '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":true,"osReleaseId":"debian"}';
const BOOTSTRAP = ['trap \'exit 0\' TERM', 'while :; do sleep 1 & wait $!; done'].join('\n');

/** The nodes the NVIDIA runtime gives a container: name, major, minor. */
const NODES: [string, number, number][] = [['nvidia0', 195, 0], ['nvidiactl', 195, 255], ['nvidia-uvm', 509, 0]];
/** Real files of the fake driver, by name, with the links that lead to them. */
const LIBRARIES: Record<string, string[]> = {
  'libnvidia-ml.so.550.54.14': ['libnvidia-ml.so.1'],
  'libcuda.so.550.54.14': ['libcuda.so.1', 'libcuda.so'],
};
const contentOf = (file: string) => `fake ${file} for the gpu-sim test\n`;

/** The GPU part of a ContainerCreate HostConfig: binds to nvidia nodes or into the inner lib dir, and cgroup rules. */
function gpuPart(hostConfig: { Binds?: string[] | null; DeviceCgroupRules?: string[] | null; Devices?: unknown[] | null }) {
  const binds = (hostConfig.Binds ?? []).filter((b) => /nvidia|cuda/i.test(b) || b.includes(`:${INNER_LIB_DIR}/`));
  return { binds: [...binds].sort(), rules: [...hostConfig.DeviceCgroupRules ?? []].sort(), devices: hostConfig.Devices ?? [] };
}

describe('the GPU plugin on the envbox image, with a simulated NVIDIA driver', () => {
  let world: World;
  let sandbox: Sandbox;
  let outer: OuterDaemon;
  let envbox: EnvboxRun | undefined;

  const exec = (argv: string[]) => outer.docker(['exec', OUTER, ...argv]);
  const inWorkspace = (argv: string[]) => exec(['docker', 'exec', WORKSPACE, ...argv]);

  /** Device nodes and the fake lib dir, in the sandbox; returns the outer container's extra flags. */
  async function simulateDriver(): Promise<string[]> {
    const dev = join(sandbox.paths.dir, 'gpu-dev');
    const lib = join(sandbox.paths.dir, 'gpu-usr-lib');
    await mkdir(dev, { recursive: true });
    await mkdir(lib, { recursive: true });
    await chmod(lib, 0o755);
    const flags: string[] = [];
    for (const [name, major, minor] of NODES) {
      await mustRun(['mknod', '-m', '0666', join(dev, name), 'c', String(major), String(minor)]);
      // A bind, not --device: the plugin finds GPU nodes in the outer container's mount table, where the
      // NVIDIA runtime and device plugin put them.
      flags.push('-v', `${join(dev, name)}:/dev/${name}`);
    }
    for (const [file, links] of Object.entries(LIBRARIES)) {
      await writeFile(join(lib, file), contentOf(file), { mode: 0o644 });
      let target = file;
      for (const link of links) {
        await symlink(target, join(lib, link));
        target = link;
      }
    }
    await writeFile(join(lib, 'libfoo.so.1'), 'not a GPU library\n', { mode: 0o644 });
    flags.push(
      '-v', `${lib}:${OUTER_LIB_DIR}:ro`,
      '-e', 'CODER_ADD_GPU=true', '-e', `CODER_USR_LIB_DIR=${OUTER_LIB_DIR}`,
      '-e', 'NVIDIA_VISIBLE_DEVICES=all', '-e', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility',
    );
    return flags;
  }

  before(async () => {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'gpu-sim');
    outer = await startOuterDaemon(world, sandbox);
    const flags = [...await oneLinerFlags(world, sandbox, outer, '/tmp/envbox'), ...await simulateDriver()];
    const [file, ...args] = outer.dockerArgv(['run', '--rm', '--name', OUTER, ...flags, IMAGE_TAG, '/envbox', 'docker']);
    const child = spawn(file!, args, {
      env: {
        PATH: process.env.PATH, HOME: '/root', DOCKER_CONFIG: sandbox.paths.dockerCliConfig,
        CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: outer.registryHost }), CODER_AGENT_TOKEN: fakeAgentToken(), CODER_BOOTSTRAP_SCRIPT: BOOTSTRAP,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    envbox = new EnvboxRun(child, join(sandbox.paths.dir, 'harness-dockerd.log'), 'docker run ... envbox:latest /envbox docker (GPU)');
    await envbox.waitForDone(180_000);
  });

  after(async () => {
    envbox?.kill();
    if (outer) {
      await outer.docker(['rm', '-f', OUTER]);
      await outer.stop();
    }
    if (sandbox) await sandbox.destroy();
    if (world) await destroyWorld(world);
  });

  test('envbox reaches done with CODER_ADD_GPU=true', () => {
    assert.ok(envbox!.buildLog().some((l) => l.type === 'done'), envbox!.tail());
  });

  test('/dev/nvidia0, /dev/nvidiactl and /dev/nvidia-uvm are character devices in the workspace, with their major:minor', async () => {
    for (const [name, major, minor] of NODES) {
      // busybox stat: %t and %T are the major and minor in hex.
      const stat = await inWorkspace(['stat', '-c', '%t %T %F', `/dev/${name}`]);
      assert.equal(stat.exitCode, 0, `${name}: ${stat.stderr}\n${envbox!.tail()}`);
      const [hexMajor, hexMinor, ...kind] = stat.stdout.trim().split(' ');
      assert.equal(kind.join(' '), 'character special file', `${name}: ${stat.stdout}`);
      assert.deepEqual([parseInt(hexMajor!, 16), parseInt(hexMinor!, 16)], [major, minor], `${name}: ${stat.stdout}`);
    }
  });

  test('the driver libraries are under the inner lib dir with every link of their chains, and libfoo is not', async () => {
    for (const [file, links] of Object.entries(LIBRARIES)) {
      for (const name of [file, ...links]) {
        // Docker binds what a link resolves to, so each name of the chain reads as the real file.
        const read = await inWorkspace(['cat', `${INNER_LIB_DIR}/${name}`]);
        assert.equal(read.exitCode, 0, `${name}: ${read.stderr}`);
        assert.equal(read.stdout, contentOf(file), name);
      }
    }
    const foo = await inWorkspace(['ls', '-a', INNER_LIB_DIR]);
    assert.equal(foo.exitCode, 0, foo.stderr);
    assert.ok(!foo.stdout.split('\n').includes('libfoo.so.1'), foo.stdout);
    assert.deepEqual(foo.stdout.split('\n').filter((n) => n.startsWith('lib')).sort(),
      Object.entries(LIBRARIES).flatMap(([file, links]) => [file, ...links]).sort());
  });

  test('NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES reach the workspace\'s env', async () => {
    const env = await inWorkspace(['env']);
    assert.equal(env.exitCode, 0, env.stderr);
    const lines = env.stdout.split('\n');
    assert.ok(lines.includes('NVIDIA_VISIBLE_DEVICES=all'), env.stdout);
    assert.ok(lines.includes('NVIDIA_DRIVER_CAPABILITIES=compute,utility'), env.stdout);
  });

  test('envbox plan in the outer container predicts the GPU binds and device rules the running workspace has', async () => {
    const plan = await exec(['env', `ENVBOX_IMAGE_FACTS=${IMAGE_FACTS}`, '/envbox', 'plan']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const planned = (JSON.parse(plan.stdout) as { container: { create: { HostConfig: Parameters<typeof gpuPart>[0] } } }).container.create.HostConfig;
    const inspect = await exec(['docker', 'inspect', '--format', '{{json .HostConfig}}', WORKSPACE]);
    assert.equal(inspect.exitCode, 0, inspect.stderr);
    const running = JSON.parse(inspect.stdout) as Parameters<typeof gpuPart>[0];
    const expected = gpuPart(running);
    // Under runc each node is a bind plus a cgroup rule; the plan must not be vacuous.
    for (const [name, major, minor] of NODES) assert.ok(expected.rules.includes(`c ${major}:${minor} rwm`), `${name}: ${expected.rules.join(', ')}`);
    assert.equal(expected.binds.length, NODES.length + Object.values(LIBRARIES).flat().length + Object.keys(LIBRARIES).length, expected.binds.join('\n'));
    assert.deepEqual(gpuPart(planned), expected);
  });

  test('docker stop of the outer container exits 0, and so does envbox', async () => {
    const stop = await outer.docker(['stop', OUTER], { timeoutMs: 60_000 });
    assert.equal(stop.exitCode, 0, stop.stderr);
    assert.deepEqual(await envbox!.waitForExit(30_000), { code: 0, signal: null }, envbox!.tail());
  });
});
