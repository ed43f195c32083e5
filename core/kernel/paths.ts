import { posix } from 'node:path';

/** `/a/b/`, `/a//b` and `/a/c/../b` name the same place as `/a/b`. */
export function normalizePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** `path` is `dir` or lies below it, after both are normalized. */
export function isAtOrBelow(path: string, dir: string): boolean {
  const normal = normalizePath(path);
  const top = normalizePath(dir);
  return normal === top || normal.startsWith(top === '/' ? '/' : `${top}/`);
}
