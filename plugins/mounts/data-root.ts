import { posix } from 'node:path';
import type { SpecContext } from '../../core/hooks.js';
import type { FileStat } from '../../core/host/host.js';
import { dockerDataRoot, dockerFallbackDataRoot, dockerHost } from '../../core/inputs/core-inputs.js';
import type { MountSpec } from '../../core/inputs/kinds.js';

/** What the workspace gets instead of a mount source that is the outer daemon's data root. */
export const WORKSPACE_DOCKER_SUBDIR = 'workspace-docker';

function sameFile(a: FileStat | null, b: FileStat | null): boolean {
  return a !== null && b !== null && a.dev !== undefined && a.ino !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * coder/envbox's own one-liner mounts one host dir at both /var/lib/coder/docker and /var/lib/docker,
 * so the workspace's /var/lib/docker would be the outer dockerd's data root: it would see, and its own
 * dockerd would write into, the daemon that runs it. A source that is that directory (same device and
 * inode) is replaced by a subdirectory of it, which the outer dockerd never uses (under
 * --userns-remap its data lives in <root>/100000.100000), and the build log says so once.
 */
export async function keepOffDaemonDataRoot(ctx: SpecContext, list: MountSpec[]): Promise<MountSpec[]> {
  // An existing daemon's data root is not known here.
  if (ctx.options.get(dockerHost)) return list;
  const roots = await Promise.all([dockerDataRoot, dockerFallbackDataRoot].map(async (def) => {
    const path = ctx.options.get(def);
    return { path, stat: await ctx.host.stat(path) };
  }));
  const out: MountSpec[] = [];
  for (const mount of list) {
    const stat = await ctx.host.stat(mount.source);
    const root = roots.find((r) => sameFile(stat, r.stat));
    if (!root) {
      out.push(mount);
      continue;
    }
    const source = posix.join(mount.source, WORKSPACE_DOCKER_SUBDIR);
    ctx.buildLog.info(`${mount.source} is the outer dockerd's data root ${root.path} (the same directory), so the workspace gets ${source} as its ${mount.target} instead.`);
    out.push({ ...mount, source });
  }
  return out;
}
