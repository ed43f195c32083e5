import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type EnvboxPlugin, PluginError } from 'envbox';
import { FakeDocker, MemoryHost, runContainerSpec, runPostStart, ubuntuFacts } from 'envbox/testing';
import { workspacePlugin } from './index.js';

describe('workspace plugin: containerSpec base', () => {
  it('runs as root, named after the container, waiting forever under docker\'s init when the image has none, auto-removed, with host.docker.internal', async () => {
    const { body, actions } = await runContainerSpec([workspacePlugin()]);
    assert.deepEqual(body, {
      Image: 'ubuntu',
      User: 'root',
      Hostname: 'workspace_cvm',
      Entrypoint: ['sleep', 'infinity'],
      Cmd: [],
      Tty: false,
      HostConfig: { Runtime: 'sysbox-runc', Init: true, AutoRemove: true, ExtraHosts: ['host.docker.internal:host-gateway'] },
    });
    assert.deepEqual(actions, []);
  });

  it("uses /sbin/init as PID 1 when the image has one, without docker's init", async () => {
    const { body } = await runContainerSpec([workspacePlugin()], { facts: { ...ubuntuFacts, hasInit: true } });
    assert.deepEqual(body.Entrypoint, ['/sbin/init']);
    assert.ok(!('Init' in body.HostConfig));
  });

  it('takes the hostname from CODER_INNER_HOSTNAME', async () => {
    const { body } = await runContainerSpec([workspacePlugin()], { env: { CODER_INNER_HOSTNAME: 'my-box' } });
    assert.equal(body.Hostname, 'my-box');
  });

  it('sets WorkingDir only when CODER_INNER_WORK_DIR is set', async () => {
    assert.ok(!('WorkingDir' in (await runContainerSpec([workspacePlugin()])).body));
    const { body } = await runContainerSpec([workspacePlugin()], { env: { CODER_INNER_WORK_DIR: '/home/coder/project' } });
    assert.equal(body.WorkingDir, '/home/coder/project');
  });

  it('takes the runtime from ENVBOX_RUNTIME', async () => {
    const { body } = await runContainerSpec([workspacePlugin()], { env: { ENVBOX_RUNTIME: 'runc' }, runtime: 'runc' });
    assert.equal(body.HostConfig.Runtime, 'runc');
  });

  it('keeps what the body already has: image, env, binds and other API fields', async () => {
    const body = { Image: 'registry.test/ws:1', User: 'root', Env: ['A=1'], Labels: { team: 'x' }, HostConfig: { Binds: ['/a:/a'], ShmSize: 64 } };
    const { body: out } = await runContainerSpec([workspacePlugin()], { body });
    assert.equal(out.Image, 'registry.test/ws:1');
    assert.deepEqual(out.Env, ['A=1']);
    assert.deepEqual(out.Labels, { team: 'x' });
    assert.deepEqual(out.HostConfig.Binds, ['/a:/a']);
    assert.equal(out.HostConfig.ShmSize, 64);
    assert.deepEqual(body.HostConfig, { Binds: ['/a:/a'], ShmSize: 64 }, 'the input body is not mutated');
  });

  it('runs at the BASE stage: a feature plugin registered before it still edits its result', async () => {
    const site: EnvboxPlugin = {
      name: 'site',
      apply({ hooks }) { hooks.containerSpec.tap((b) => ({ ...b, User: 'coder', HostConfig: { ...b.HostConfig, AutoRemove: false } })); },
    };
    const { body } = await runContainerSpec([site, workspacePlugin()]);
    assert.equal(body.User, 'coder');
    assert.equal(body.HostConfig.AutoRemove, false);
    assert.deepEqual(body.HostConfig.ExtraHosts, ['host.docker.internal:host-gateway']);
  });

  it('is idempotent', async () => {
    const once = (await runContainerSpec([workspacePlugin()])).body;
    const twice = (await runContainerSpec([workspacePlugin()], { body: once })).body;
    assert.deepEqual(twice, once);
  });

  it('keeps the ExtraHosts entries of others (it used to overwrite them) and adds its own once', async () => {
    const body = { Image: 'ubuntu', HostConfig: { ExtraHosts: ['registry.corp:10.0.0.5', 'host.docker.internal:10.9.9.9'] } };
    const { body: out } = await runContainerSpec([workspacePlugin()], { body });
    assert.deepEqual(out.HostConfig.ExtraHosts, ['registry.corp:10.0.0.5', 'host.docker.internal:host-gateway']);
  });
});

describe('workspace plugin: postStart', () => {
  const roots: string[] = [];
  after(async () => { await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))); });

  async function postStart(env: Record<string, string>, docker: FakeDocker, host = new MemoryHost()) {
    const run = await runPostStart([workspacePlugin()], { env, docker, host, containerId: 'abc' });
    return run.buildLog.map((e) => e.output);
  }

  async function cgroupV2(cpuMax: string): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'envbox-ws-cgroup-'));
    roots.push(root);
    await writeFile(join(root, 'cgroup.controllers'), 'cpu');
    await writeFile(join(root, 'cpu.max'), cpuMax);
    await mkdir(join(root, 'docker/abc'), { recursive: true });
    return root;
  }

  it("creates the home's .coder folder as the image user", async () => {
    const docker = new FakeDocker();
    const root = await cgroupV2('max 100000');
    const lines = await postStart({ ENVBOX_CGROUP_ROOT: root }, docker);
    assert.deepEqual(docker.execs(), [{ cmd: ['mkdir', '-p', '/home/coder/.coder'], user: '1000' }]);
    assert.equal(docker.calls.find((c) => c.method === 'exec')?.args[0], 'abc');
    assert.equal(lines[0], 'Creating "/home/coder/.coder" to hold Coder\'s files...');
  });

  it('fails as a PluginError when the folder cannot be made', async () => {
    const docker = new FakeDocker();
    docker.exec = async () => ({ exitCode: 1, output: 'mkdir: Permission denied\n' });
    await assert.rejects(postStart({}, docker), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.hook, 'postStart');
      assert.match(error.message, /mkdir -p \/home\/coder\/\.coder as uid 1000 failed \(1\): mkdir: Permission denied$/);
      return true;
    });
  });

  it("copies the outer CPU quota into the workspace's cgroup", async () => {
    const root = await cgroupV2('150000 100000\n');
    await postStart({ ENVBOX_CGROUP_ROOT: root }, new FakeDocker(), new MemoryHost().file('/proc/self/cgroup', '0::/\n'));
    assert.equal(await readFile(join(root, 'docker/abc/cpu.max'), 'utf8'), '150000 100000\n');
  });

  it('reports a failed quota copy in the build log without failing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'envbox-ws-cgroup-'));
    roots.push(root);
    const lines = await postStart({ ENVBOX_CGROUP_ROOT: root }, new FakeDocker());
    assert.ok(lines.includes(`Unable to copy the CPU quota into the workspace: no cgroup v1 cpu hierarchy under ${root}`), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('This is not fatal')));
  });
});
