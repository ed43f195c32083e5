import { readFile, writeFile, access } from 'node:fs/promises';
import { join, posix } from 'node:path';

export interface CpuQuota {
  /** -1: unlimited. */
  quota: number;
  period: number;
  version: 1 | 2;
  /** The cpu hierarchy's mount: `<root>` on v2, `<root>/cpu` or `<root>/cpu,cpuacct` on v1. */
  hierarchy: string;
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** cgroup v1 mounts cpu alone (split, as on these machines) or combined with cpuacct. */
async function v1Hierarchy(root: string): Promise<string | null> {
  for (const name of ['cpu,cpuacct', 'cpu', 'cpuacct,cpu']) {
    if (await exists(join(root, name, 'cpu.cfs_quota_us'))) return join(root, name);
  }
  return null;
}

/** The outer container's own CPU quota, from cgroup v2 or v1 (split or combined). */
export async function readOuterCpuQuota(root: string, selfCgroup: string): Promise<CpuQuota> {
  if (await exists(join(root, 'cgroup.controllers'))) {
    // dockerd's nesting wrapper moves envbox into <root>/init, whose own cpu.max is "max"; the pod's
    // limit sits higher up. The effective limit is the tightest on the path to the mount root.
    const levels: string[] = [];
    for (let dir = join('/', selfCgroup); ; dir = posix.dirname(dir)) {
      levels.push(join(root, dir, 'cpu.max'));
      if (dir === '/') break;
    }
    let tightest: CpuQuota | null = null;
    let unlimited: CpuQuota | null = null;
    for (const path of levels) {
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue;
      const [quota = '', period = ''] = text.trim().split(/\s+/);
      const found: CpuQuota = { quota: quota === 'max' ? -1 : Number(quota), period: Number(period), version: 2, hierarchy: root };
      if (found.quota < 0) unlimited ??= found;
      else if (!tightest || found.quota / found.period < tightest.quota / tightest.period) tightest = found;
    }
    const result = tightest ?? unlimited;
    if (!result) throw new Error(`no cpu.max under ${root} (tried ${levels.join(', ')})`);
    return result;
  }
  const hierarchy = await v1Hierarchy(root);
  if (!hierarchy) throw new Error(`no cgroup v1 cpu hierarchy under ${root}`);
  const [quota, period] = await Promise.all([
    readFile(join(hierarchy, 'cpu.cfs_quota_us'), 'utf8'),
    readFile(join(hierarchy, 'cpu.cfs_period_us'), 'utf8'),
  ]);
  return { quota: Number(quota.trim()), period: Number(period.trim()), version: 1, hierarchy };
}

/** The path part of /proc/self/cgroup's first line for v2 (`0::/path`), or `/`. */
export function selfCgroupPath(procSelfCgroup: string): string {
  const v2 = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'));
  return v2 ? v2.slice(3) || '/' : '/';
}

/**
 * Copies the outer quota into the workspace's cgroup, so cgroup-aware programs inside see the
 * pod's limit. Sysbox keeps the container's own subtree (syscont-cgroup-root / init.scope); with
 * runc the container cgroup itself is used, but never over a limit the container already has.
 * Returns the file written, or why nothing was.
 */
export async function copyCpuQuota(quota: CpuQuota, containerId: string, containerHasOwnQuota: boolean): Promise<string> {
  if (quota.quota <= 0) return 'skipped: the outer container has no CPU quota';
  const base = join(quota.hierarchy, 'docker', containerId);
  const sysboxSubtree = join(base, quota.version === 2 ? 'init.scope' : 'syscont-cgroup-root');
  const target = (await exists(sysboxSubtree)) ? sysboxSubtree : base;
  if (target === base && containerHasOwnQuota) return 'skipped: the workspace has its own CPU limit (CODER_CPUS)';
  if (!(await exists(target))) throw new Error(`the workspace's cgroup ${target} does not exist`);
  if (quota.version === 2) {
    await writeFile(join(target, 'cpu.max'), `${quota.quota} ${quota.period}\n`);
    return join(target, 'cpu.max');
  }
  await writeFile(join(target, 'cpu.cfs_period_us'), String(quota.period));
  await writeFile(join(target, 'cpu.cfs_quota_us'), String(quota.quota));
  return join(target, 'cpu.cfs_quota_us');
}
