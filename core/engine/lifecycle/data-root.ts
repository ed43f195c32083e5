import type { MountEntry } from '../../kernel/host-view.js';
import { isAtOrBelow } from '../../kernel/paths.js';

/** Filesystems overlay2 cannot put its upper layers on. */
const NETWORK_FS = /^(nfs|nfs4)$/;

/** The mount that holds `path`: the one with the longest target at or above it (the last such, as mounts stack). */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    if (isAtOrBelow(path, mount.target) && (!best || mount.target.length >= best.target.length)) best = mount;
  }
  return best;
}

/**
 * Why dockerd cannot use `dataRoot` with overlay2, or null. coder/envbox refuses an NFS volume
 * there ("CVMs do not support NFS volumes"), having seen overlay2 give no merged directory on it;
 * envbox reads the mount table instead, so it says so before dockerd starts.
 */
export function dataRootProblem(dataRoot: string, mounts: readonly MountEntry[]): string | null {
  const mount = mountOf(dataRoot, mounts);
  if (!mount || !NETWORK_FS.test(mount.fstype)) return null;
  return `dockerd's data root ${dataRoot} is on NFS (${mount.fstype} ${mount.source} at ${mount.target}), where overlay2 cannot store the workspace's layers`;
}
