import { posix } from 'node:path';
import { coreInputs, type FileStat, type inputKinds, type SpecContext } from 'envbox';

/** What the workspace gets as its /var/lib/docker instead of a mount source that is the outer daemon's data root. */
const WORKSPACE_DOCKER_SUBDIR = 'workspace-docker';

/** A mount to bind, and the source the user named: the owner a source gets is decided by that one. */
export interface WorkspaceMount extends inputKinds.MountSpec {
  readonly namedSource: string;
}

/** One subdirectory per target, so that two targets redirected from one directory never share one. */
function redirectSubdir(target: string): string {
  const normal = posix.normalize(target).replace(/\/+$/, '');
  return normal === '/var/lib/docker' ? WORKSPACE_DOCKER_SUBDIR : `workspace${normal.replace(/[^A-Za-z0-9._]+/g, '-')}`;
}

function sameFile(a: FileStat | null, b: FileStat | null): boolean {
  return a !== null && b !== null && a.dev !== undefined && a.ino !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * coder/envbox's own one-liner mounts one host dir at both /var/lib/coder/docker and /var/lib/docker,
 * so the workspace's /var/lib/docker would be the outer dockerd's data root: it would see, and its own
 * dockerd would write into, the daemon that runs it. A source that is that directory (same device and
 * inode) is replaced by a subdirectory of it named for the target (workspace-docker for
 * /var/lib/docker), which the outer dockerd never uses (under --userns-remap its data lives in
 * <root>/100000.100000), and the build log says so. The home can be that directory too (podman 4.3
 * puts every subPath of a volume in the same one): `namedSource` keeps what decides its owner.
 */
export async function keepOffDaemonDataRoot(ctx: SpecContext, list: inputKinds.MountSpec[]): Promise<WorkspaceMount[]> {
  // An existing daemon's data root is not known here.
  if (ctx.options.get(coreInputs.dockerHost)) return list.map((mount) => ({ ...mount, namedSource: mount.source }));
  const roots = await Promise.all([coreInputs.dockerDataRoot, coreInputs.dockerFallbackDataRoot].map(async (def) => {
    const path = ctx.options.get(def);
    return { path, stat: await ctx.host.stat(path) };
  }));
  const out: WorkspaceMount[] = [];
  for (const mount of list) {
    const stat = await ctx.host.stat(mount.source);
    const root = roots.find((r) => sameFile(stat, r.stat));
    if (!root) {
      out.push({ ...mount, namedSource: mount.source });
      continue;
    }
    const source = posix.join(mount.source, redirectSubdir(mount.target));
    ctx.buildLog.info(`${mount.source} is the outer dockerd's data root ${root.path} (the same directory), so the workspace gets ${source} as its ${mount.target} instead.`);
    out.push({ ...mount, source, namedSource: mount.source });
  }
  return out;
}
