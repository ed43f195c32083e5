import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyCpuQuota, readOuterCpuQuota, selfCgroupPath, type CpuQuota } from './cpu-quota.js';

const roots: string[] = [];
after(async () => { await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))); });

/** A fake cgroup mount: files by relative path, folders by a trailing slash. */
async function cgroupTree(entries: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envbox-cgroup-'));
  roots.push(root);
  for (const [path, content] of Object.entries(entries)) {
    if (path.endsWith('/')) {
      await mkdir(join(root, path), { recursive: true });
    } else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  return root;
}

describe('readOuterCpuQuota', () => {
  it('v2: reads cpu.max of our own cgroup', async () => {
    const root = await cgroupTree({ 'cgroup.controllers': 'cpu memory', 'cpu.max': 'max 100000\n', 'kubepods/pod1/cpu.max': '250000 100000\n' });
    assert.deepEqual(await readOuterCpuQuota(root, '/kubepods/pod1'), { quota: 250000, period: 100000, version: 2, hierarchy: root });
  });

  it('v2: falls back to the root cpu.max (the remounted cgroup is our own), with max as unlimited', async () => {
    const root = await cgroupTree({ 'cgroup.controllers': 'cpu', 'cpu.max': 'max 100000\n' });
    assert.deepEqual(await readOuterCpuQuota(root, '/kubepods/gone'), { quota: -1, period: 100000, version: 2, hierarchy: root });
  });

  it('v2: reads the root when our cgroup is /', async () => {
    const root = await cgroupTree({ 'cgroup.controllers': 'cpu', 'cpu.max': '50000 50000' });
    assert.deepEqual(await readOuterCpuQuota(root, '/'), { quota: 50000, period: 50000, version: 2, hierarchy: root });
  });

  it('v2 after the nesting wrapper moved us into init/: the limit on an ancestor still counts', async () => {
    // The wrapper remounts cgroup2 rooted at the pod's cgroup and moves every process, envbox too, into init/.
    const root = await cgroupTree({ 'cgroup.controllers': 'cpu', 'cpu.max': '200000 100000\n', 'init/cpu.max': 'max 100000\n' });
    assert.deepEqual(await readOuterCpuQuota(root, '/init'), { quota: 200000, period: 100000, version: 2, hierarchy: root });
  });

  it('v2 without any cpu.max: an error naming the places tried', async () => {
    const root = await cgroupTree({ 'cgroup.controllers': 'memory' });
    await assert.rejects(readOuterCpuQuota(root, '/pod'), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, `no cpu.max under ${root} (tried ${join(root, 'pod/cpu.max')}, ${join(root, 'cpu.max')})`);
      return true;
    });
  });

  it('v1 split: reads cpu/cpu.cfs_quota_us and cpu.cfs_period_us', async () => {
    const root = await cgroupTree({ 'cpu/cpu.cfs_quota_us': '150000\n', 'cpu/cpu.cfs_period_us': '100000\n', 'cpuacct/cpuacct.usage': '1' });
    assert.deepEqual(await readOuterCpuQuota(root, '/'), { quota: 150000, period: 100000, version: 1, hierarchy: join(root, 'cpu') });
  });

  it('v1 combined: reads cpu,cpuacct/, with -1 as unlimited', async () => {
    const root = await cgroupTree({ 'cpu,cpuacct/cpu.cfs_quota_us': '-1\n', 'cpu,cpuacct/cpu.cfs_period_us': '100000\n' });
    assert.deepEqual(await readOuterCpuQuota(root, '/'), { quota: -1, period: 100000, version: 1, hierarchy: join(root, 'cpu,cpuacct') });
  });

  it('neither v2 nor a v1 cpu hierarchy: an error', async () => {
    const root = await cgroupTree({ 'memory/memory.limit_in_bytes': '1' });
    await assert.rejects(readOuterCpuQuota(root, '/'), new Error(`no cgroup v1 cpu hierarchy under ${root}`));
  });
});

describe('selfCgroupPath', () => {
  it('takes the path of the v2 line', () => {
    assert.equal(selfCgroupPath('0::/kubepods/burstable/pod1/abc\n'), '/kubepods/burstable/pod1/abc');
  });

  it('finds the v2 line among v1 lines of a hybrid setup', () => {
    assert.equal(selfCgroupPath('12:cpu,cpuacct:/kubepods/x\n11:memory:/kubepods/x\n0::/kubepods/y\n'), '/kubepods/y');
  });

  it('is / on pure v1, for the root, and for empty text', () => {
    assert.equal(selfCgroupPath('12:cpu,cpuacct:/kubepods/x\n'), '/');
    assert.equal(selfCgroupPath('0::/\n'), '/');
    assert.equal(selfCgroupPath('0::\n'), '/');
    assert.equal(selfCgroupPath(''), '/');
  });
});

describe('copyCpuQuota', () => {
  const v2 = (hierarchy: string, quota = 150000): CpuQuota => ({ quota, period: 100000, version: 2, hierarchy });
  const v1 = (hierarchy: string, quota = 150000): CpuQuota => ({ quota, period: 100000, version: 1, hierarchy });

  it('skips an unlimited outer quota and writes nothing', async () => {
    const root = await cgroupTree({ 'docker/abc/': '' });
    assert.equal(await copyCpuQuota(v2(root, -1), 'abc', false), 'skipped: the outer container has no CPU quota');
    assert.deepEqual(await readdir(join(root, 'docker/abc')), []);
  });

  it('v2 under sysbox: writes "quota period" into the init.scope subtree, even when the container has its own limit', async () => {
    const root = await cgroupTree({ 'docker/abc/init.scope/': '', 'docker/abc/cpu.max': '200000 100000\n' });
    const written = await copyCpuQuota(v2(root), 'abc', true);
    assert.equal(written, join(root, 'docker/abc/init.scope/cpu.max'));
    assert.equal(await readFile(written, 'utf8'), '150000 100000\n');
    assert.equal(await readFile(join(root, 'docker/abc/cpu.max'), 'utf8'), '200000 100000\n', 'the container limit is left alone');
  });

  it('v2 under runc: writes the container cgroup itself when it has no limit of its own', async () => {
    const root = await cgroupTree({ 'docker/abc/': '' });
    const written = await copyCpuQuota(v2(root), 'abc', false);
    assert.equal(written, join(root, 'docker/abc/cpu.max'));
    assert.equal(await readFile(written, 'utf8'), '150000 100000\n');
  });

  it('under runc never overwrites a limit the container already has (CODER_CPUS)', async () => {
    const root = await cgroupTree({ 'docker/abc/cpu.max': '100000 100000\n' });
    assert.equal(await copyCpuQuota(v2(root), 'abc', true), 'skipped: the workspace has its own CPU limit (CODER_CPUS)');
    assert.equal(await readFile(join(root, 'docker/abc/cpu.max'), 'utf8'), '100000 100000\n');
  });

  it('v1 under sysbox: writes period and quota into syscont-cgroup-root', async () => {
    const root = await cgroupTree({ 'cpu/docker/abc/syscont-cgroup-root/': '' });
    const hierarchy = join(root, 'cpu');
    const written = await copyCpuQuota(v1(hierarchy, 250000), 'abc', false);
    const subtree = join(hierarchy, 'docker/abc/syscont-cgroup-root');
    assert.equal(written, join(subtree, 'cpu.cfs_quota_us'));
    assert.equal(await readFile(join(subtree, 'cpu.cfs_quota_us'), 'utf8'), '250000');
    assert.equal(await readFile(join(subtree, 'cpu.cfs_period_us'), 'utf8'), '100000');
  });

  it('v1 does not use the v2 subtree name, nor v2 the v1 one', async () => {
    const root = await cgroupTree({ 'docker/abc/init.scope/': '', 'docker/def/syscont-cgroup-root/': '' });
    assert.equal(await copyCpuQuota(v1(root), 'abc', false), join(root, 'docker/abc/cpu.cfs_quota_us'));
    assert.equal(await copyCpuQuota(v2(root), 'def', false), join(root, 'docker/def/cpu.max'));
  });

  it('fails when the workspace cgroup does not exist', async () => {
    const root = await cgroupTree({ 'docker/': '' });
    await assert.rejects(copyCpuQuota(v2(root), 'abc', false), new Error(`the workspace's cgroup ${join(root, 'docker/abc')} does not exist`));
  });
});
