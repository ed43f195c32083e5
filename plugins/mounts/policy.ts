import { posix } from 'node:path';
import type { MountSpec } from '../../core/inputs/kinds.js';

/** Always given to the workspace: its own docker and podman storage, kept outside the image layers. */
export const DEFAULT_MOUNTS: readonly MountSpec[] = Object.freeze([
  { source: '/var/lib/coder/docker', target: '/var/lib/docker', readOnly: false },
  { source: '/var/lib/coder/containers', target: '/var/lib/containers', readOnly: false },
]);

/**
 * Targets whose sources belong to envbox (or that sysbox handles itself, /var/lib/coder):
 * changing their owner or mode would break the outer container, so they are mounted as they are.
 */
const PRIVATE_TARGETS = new Set(['/var/lib/containers', '/var/lib/docker', '/var/lib/sysbox', '/lib/modules', '/usr/src', '/var/lib/coder']);

/** `/a/b/` and `/a//b` name the same place as `/a/b`. */
export function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

export function isPrivateTarget(target: string): boolean {
  return PRIVATE_TARGETS.has(normalizePath(target));
}

/** `/root` or a direct child of `/home`: the workspace user's own files, so they get its ids. */
export function isHomeDir(source: string): boolean {
  const path = normalizePath(source);
  return path === '/root' || /^\/home\/[^/]+$/.test(path);
}

/** System trees of the outer container: shifting their owners would break envbox itself. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/run'];

const within = (path: string, tree: string) => path === tree || path.startsWith(`${tree}/`);

/**
 * Why `:chown` must not touch this source, or null: `/`, a system tree, or a directory that holds
 * one of envbox's own (dockerd's data roots). Shifting those would break the outer container.
 */
export function chownSourceProblem(source: string, envboxDirs: readonly string[]): string | null {
  const path = normalizePath(source);
  if (path === '/') return 'would shift the owners of the whole outer container';
  const system = SYSTEM_TREES.find((tree) => within(path, tree));
  if (system) return `would shift the owners of the outer container's ${system}`;
  const own = envboxDirs.map(normalizePath).find((dir) => within(dir, path) || within(path, dir));
  if (own) return `would shift the owners of ${own}, which envbox's dockerd uses`;
  return null;
}

/** What is wrong with the user's mount list (a target of `/` or used twice, a dangerous :chown), or null. */
export function mountListProblem(list: readonly MountSpec[], envboxDirs: readonly string[] = []): string | null {
  const seen = new Map<string, string>();
  for (const [index, mount] of list.entries()) {
    const entry = `entry ${index + 1} ("${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}${mount.chown ? ':chown' : ''}")`;
    const target = normalizePath(mount.target);
    if (target === '/') return `${entry} mounts over the workspace's root "/"; choose a directory inside it`;
    if (mount.chown && isPrivateTarget(target)) {
      return `${entry} asks to chown "${target}", whose source belongs to envbox and keeps its owners; use :chown only for the workspace's own volumes`;
    }
    const danger = mount.chown ? chownSourceProblem(mount.source, envboxDirs) : null;
    if (danger !== null) return `${entry}: :chown on "${normalizePath(mount.source)}" ${danger}; use it only for the workspace's own volumes`;
    const earlier = seen.get(target);
    if (earlier !== undefined) return `${entry} has the target "${target}" that ${earlier} already uses; each target may appear once`;
    seen.set(target, `entry ${index + 1}`);
  }
  return null;
}

/**
 * Defaults first, then the user's list, with normalized paths; a later mount for the same target
 * replaces the earlier one and moves to its place, exactly as `withBind` orders binds.
 */
export function effectiveMounts(userMounts: readonly MountSpec[]): MountSpec[] {
  const byTarget = new Map<string, MountSpec>();
  for (const mount of [...DEFAULT_MOUNTS, ...userMounts]) {
    const normal = { ...mount, source: normalizePath(mount.source), target: normalizePath(mount.target) };
    byTarget.delete(normal.target);
    byTarget.set(normal.target, normal);
  }
  return [...byTarget.values()];
}
