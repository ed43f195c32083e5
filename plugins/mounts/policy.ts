import { isAtOrBelow, isInSystemDir, isProtectedDir, normalizePath } from '../../core/host/system-dirs.js';
import { mountTargetProblem, type MountSpec } from '../../core/inputs/kinds.js';

/** Always given to the workspace: its own docker and podman storage, kept outside the image layers. */
const DEFAULT_MOUNTS: readonly MountSpec[] = Object.freeze([
  { source: '/var/lib/coder/docker', target: '/var/lib/docker', readOnly: false },
  { source: '/var/lib/coder/containers', target: '/var/lib/containers', readOnly: false },
]);

/**
 * Targets whose sources belong to envbox (or that sysbox handles itself, /var/lib/coder):
 * changing their owner or mode would break the outer container, so they are mounted as they are.
 */
const PRIVATE_TARGETS = new Set(['/var/lib/containers', '/var/lib/docker', '/var/lib/sysbox', '/lib/modules', '/usr/src', '/var/lib/coder']);

export { normalizePath };

export function isPrivateTarget(target: string): boolean {
  return PRIVATE_TARGETS.has(normalizePath(target));
}

/** `/root` or a direct child of `/home`: the workspace user's own files, so they get its ids. */
export function isHomeDir(source: string): boolean {
  const path = normalizePath(source);
  return path === '/root' || /^\/home\/[^/]+$/.test(path);
}

/** A source below a system dir (`/etc/ssl/certs`) is bound as it is: envbox creates, chmods and chowns nothing there. */
export function isUntouchedSource(source: string): boolean {
  return isInSystemDir(source);
}

function targetProblem(target: string): string | null {
  const problem = mountTargetProblem(target);
  return problem === null ? null : `has the target "${target}"; ${problem}`;
}

/** How an entry's source is shown: `"/data"`, or `"/data" (a link to "/etc")` when links lead elsewhere. */
function named(source: string, real: string): string {
  return real === source ? `"${source}"` : `"${source}" (a link to "${real}")`;
}

function sourceProblem(source: string, real: string): string | null {
  if (!isProtectedDir(real)) return null;
  if (real === '/') return `has the source ${named(source, real)}, the outer container's root; envbox never gives it to the workspace`;
  return `has the source ${named(source, real)}, a system directory of the outer container (or a parent of one); mount a directory below it, which is bound untouched, or a directory of your own`;
}


/**
 * Why `:chown` must not touch this source, or null: a system dir or one below it (envbox binds those
 * untouched), or a directory that holds envbox's own (dockerd's data roots), or one inside them.
 */
function chownSourceProblem(source: string, envboxDirs: readonly string[]): string | null {
  const path = normalizePath(source);
  if (isInSystemDir(path)) return "would shift owners inside a system directory of the outer container";
  const own = envboxDirs.map(normalizePath).find((dir) => isAtOrBelow(dir, path) || isAtOrBelow(path, dir));
  if (own) return `would shift the owners of ${own}, which envbox's dockerd uses`;
  return null;
}

/**
 * Where a source leads: its links resolved, a missing source's through its deepest existing ancestor
 * (resolveAsCreated); null when unknown, and the source is judged by its name.
 */
type ResolveSource = (source: string) => string | null;

/**
 * Everything wrong with the user's mount list (a target or source that can never work or is unsafe,
 * a target used twice, a dangerous :chown). A source is judged by where its links lead as well as by
 * its name: a link into a system dir gets the answer that naming the dir gets.
 */
export function mountListProblems(list: readonly MountSpec[], envboxDirs: readonly string[] = [], resolve: ResolveSource = () => null): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [index, mount] of list.entries()) {
    const entry = `entry ${index + 1} ("${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}${mount.chown ? ':chown' : ''}")`;
    const target = normalizePath(mount.target);
    const source = normalizePath(mount.source);
    const resolved = resolve(source);
    const real = resolved === null ? source : normalizePath(resolved);
    const problem = targetProblem(target) ?? sourceProblem(source, source) ?? sourceProblem(source, real);
    if (problem !== null) problems.push(`${entry} ${problem}`);
    if (mount.chown && isPrivateTarget(target)) {
      problems.push(`${entry} asks to chown "${target}", whose source belongs to envbox and keeps its owners; use :chown only for the workspace's own volumes`);
    }
    const danger = mount.chown && problem === null ? (chownSourceProblem(source, envboxDirs) ?? chownSourceProblem(real, envboxDirs)) : null;
    if (danger !== null) problems.push(`${entry}: :chown on ${named(source, real)} ${danger}; use it only for the workspace's own volumes`);
    const earlier = seen.get(target);
    if (earlier !== undefined) problems.push(`${entry} has the target "${target}" that ${earlier} already uses; each target may appear once`);
    seen.set(target, `entry ${index + 1}`);
  }
  return problems;
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
