import { posix } from 'node:path';

/**
 * The outer container's system directories. envbox never changes their owner or mode: handing one
 * to the workspace's root (host id 100000) would let the workspace rewrite the outer container.
 */
export const SYSTEM_DIRS: readonly string[] = Object.freeze([
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr',
  '/var/lib/containerd', '/var/lib/docker', '/var/lib/sysbox', '/var/log', '/var/run',
]);

/**
 * Never chowned or chmodded, by any plugin: `/`, the system dirs, their parents and envbox's own
 * storage (owning a parent lets one rename what is inside), and the shared sticky dirs, whose mode
 * 1777 a chmod would replace.
 */
const PROTECTED_DIRS: ReadonlySet<string> = new Set(['/', '/var', '/var/lib', '/var/lib/coder', '/tmp', '/var/tmp', ...SYSTEM_DIRS]);

/** `/a/b/`, `/a//b` and `/a/c/../b` name the same place as `/a/b`. */
export function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

export function isProtectedDir(path: string): boolean {
  return PROTECTED_DIRS.has(normalizePath(path));
}

/** `path` lies inside a system dir (or is one): `/etc/ssl/certs`, `/dev/shm`. */
export function isInSystemDir(path: string): boolean {
  const normal = normalizePath(path);
  return SYSTEM_DIRS.some((dir) => normal === dir || normal.startsWith(`${dir}/`));
}

/** `path` is `dir` or lies below it, after both are normalized. */
export function isAtOrBelow(path: string, dir: string): boolean {
  const normal = normalizePath(path);
  const top = normalizePath(dir);
  return normal === top || normal.startsWith(top === '/' ? '/' : `${top}/`);
}
