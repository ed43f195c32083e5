import { posix } from 'node:path';
import type { Bind, DeviceNode, HostView, MountEntry } from 'envbox';
import { GPU_MOUNT } from './patterns.js';
import { sameDirSymlinks } from './same-dir-symlinks.js';

/** GPU driver mounts under /proc break container creation (even of the image-inspection container). */
export function procGpuMounts(mounts: readonly MountEntry[]): string[] {
  const depth = (path: string) => path.split('/').length;
  return mounts
    .map((m) => m.target)
    .filter((target) => target.startsWith('/proc/') && GPU_MOUNT.test(target))
    // Deepest first, so that nothing is unmounted from under a mount still to be removed.
    .map((target, index) => ({ target, index }))
    .sort((a, b) => depth(b.target) - depth(a.target) || a.index - b.index)
    .map(({ target }) => target);
}

interface GpuMounts {
  /** /dev mounts: device paths the NVIDIA runtime or device plugin gave the outer container. */
  devicePaths: string[];
  /** Everything else: driver dirs and files at the same path, plus the links next to them. */
  binds: Bind[];
}

/** The GPU entries of the mount table; /proc mounts are left out because they are unmounted. */
export async function findGpuMounts(host: HostView, mounts: readonly MountEntry[]): Promise<GpuMounts> {
  const devicePaths: string[] = [];
  const binds: Bind[] = [];
  for (const mount of mounts) {
    const path = mount.target;
    if (!GPU_MOUNT.test(path) || path.startsWith('/proc/')) continue;
    if (path.startsWith('/dev/')) {
      devicePaths.push(path);
      continue;
    }
    binds.push({ source: path, target: path, readOnly: mount.options.includes('ro') });
    for (const link of await sameDirSymlinks(host, path)) binds.push({ source: link, target: link, readOnly: true });
  }
  return { devicePaths, binds };
}

/**
 * The character devices at a /dev mount: the node itself, or the nodes directly inside a mounted
 * directory such as /dev/nvidia-caps. Nodes already exist, so nothing is made or chowned.
 */
export async function deviceNodesAt(host: HostView, path: string): Promise<DeviceNode[] | { reason: string }> {
  const stat = await host.stat(path);
  if (stat === null) return { reason: 'it does not exist' };
  if (stat.kind === 'char') return [{ hostPath: path, containerPath: path, major: stat.major ?? 0, minor: stat.minor ?? 0 }];
  if (stat.kind !== 'dir') return { reason: `it is a ${stat.kind}, not a character device` };
  const nodes: DeviceNode[] = [];
  for (const name of await host.readdir(path)) {
    const child = posix.join(path, name);
    const childStat = await host.stat(child);
    if (childStat?.kind === 'char') nodes.push({ hostPath: child, containerPath: child, major: childStat.major ?? 0, minor: childStat.minor ?? 0 });
  }
  return nodes;
}
