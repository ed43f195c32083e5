import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAtOrBelow, normalizePath } from '../../kernel/paths.js';

/** This module's place in the npm package (from source or from dist/); bundled, it is the bundle's file itself. */
const OWN_PLACE = /\/(?:dist\/)?core\/engine\/host\/system-dirs\.[cm]?[jt]s$/;

/**
 * The folder that holds the running envbox's code: the bundle's folder (`/opt/envbox` in the image,
 * wherever a site installs it), or the package's root when it runs from the npm package or from
 * source. null when it cannot be told (not a file URL) or would be `/`.
 */
export function installDirOf(moduleUrl: string | undefined): string | null {
  // A CommonJS bundle built without a URL for import.meta has none.
  if (typeof moduleUrl !== 'string' || !moduleUrl.startsWith('file:')) return null;
  let file = fileURLToPath(moduleUrl);
  try {
    file = realpathSync(file);
  } catch {
    // judged by its name, as loaded
  }
  const place = OWN_PLACE.exec(file);
  const dir = normalizePath(place ? file.slice(0, place.index) || '/' : posix.dirname(file));
  return dir === '/' ? null : dir;
}

/** Where the image installs envbox: the bundle and the launcher. */
const IMAGE_INSTALL: readonly string[] = ['/opt/envbox', '/envbox'];

const running = installDirOf(import.meta.url as string | undefined);

/**
 * The outer container's system directories, and envbox's own code (the image's `/opt/envbox` and
 * `/envbox`, and the folder the running envbox was loaded from). envbox never changes their owner
 * or mode: handing one to the workspace's root (host id 100000) would let the workspace rewrite the
 * outer container, or the program that runs as root in it.
 */
const SYSTEM_DIRS: readonly string[] = Object.freeze([...new Set([
  '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr',
  '/var/lib/containerd', '/var/lib/docker', '/var/lib/sysbox', '/var/log', '/var/run',
  ...IMAGE_INSTALL, ...(running === null ? [] : [running]),
])]);

/** Every proper ancestor of `path` but `/`: `/a/b/c` -> `/a`, `/a/b`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) out.push(dir);
  return out;
}

/**
 * Never chowned or chmodded, by any plugin: `/`, the system dirs, their parents (`/opt` for
 * `/opt/envbox`, `/var`...) and envbox's own storage (owning a parent lets one rename what is inside),
 * `/home`, the parent of every home, and the shared sticky dirs, whose mode 1777 a chmod would replace.
 */
const PROTECTED_DIRS: ReadonlySet<string> = new Set([
  '/', '/var/lib/coder', '/home', '/tmp', '/var/tmp', ...SYSTEM_DIRS, ...SYSTEM_DIRS.flatMap(ancestors),
]);

export function isProtectedDir(path: string): boolean {
  return PROTECTED_DIRS.has(normalizePath(path));
}

/** `path` lies inside a system dir (or is one): `/etc/ssl/certs`, `/dev/shm`. */
export function isInSystemDir(path: string): boolean {
  return SYSTEM_DIRS.some((dir) => isAtOrBelow(path, dir));
}
