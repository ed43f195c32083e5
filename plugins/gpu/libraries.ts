import { posix } from 'node:path';
import { EnvboxError } from '../../core/errors.js';
import type { HostView } from '../../core/host/host.js';
import { GPU_LIBRARY, SHARED_OBJECT, isInside } from './patterns.js';

/** Where a library could not be followed; the caller logs it and goes on. */
export interface SkippedLibrary {
  path: string;
  reason: string;
}

export interface GpuLibraries {
  /** Host paths to bind read-only, in walk order, without duplicates. */
  paths: string[];
  skipped: SkippedLibrary[];
}

/**
 * GPU driver libraries under `dir` (the host's /usr/lib as mounted into this container), each with
 * every link of its symlink chain, so that `libcuda.so -> libcuda.so.1 -> libcuda.so.535.104.05`
 * all resolve in the workspace. A chain that leaves `dir` contributes nothing: its end is a host path
 * that the outer container does not have. Symlinked directories are not entered.
 */
export async function findGpuLibraries(host: HostView, dir: string): Promise<GpuLibraries> {
  const root = await host.stat(dir);
  if (root === null) {
    throw new EnvboxError(`the GPU library directory ${dir} (CODER_USR_LIB_DIR) does not exist`,
      "Mount the host's /usr/lib into the envbox container (a hostPath volume) and set CODER_USR_LIB_DIR to its mount point.");
  }
  if (root.kind !== 'dir') {
    throw new EnvboxError(`the GPU library directory ${dir} (CODER_USR_LIB_DIR) is not a directory`,
      "Set CODER_USR_LIB_DIR to the directory where the host's /usr/lib is mounted.");
  }

  const paths = new Set<string>();
  const skipped: SkippedLibrary[] = [];
  for (const candidate of await candidateLibraries(host, dir, dir)) {
    const chain = await symlinkChain(host, dir, candidate);
    if ('reason' in chain) skipped.push({ path: candidate, reason: chain.reason });
    else for (const path of chain.paths) paths.add(path);
  }
  return { paths: [...paths], skipped };
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The entries below `dir` that are not directories and are named like GPU driver libraries, depth
 * first in name order, never through symlinked dirs. Host lib dirs hold tens of thousands of files,
 * so names are matched before anything is stat'ed, kinds come from readdir itself, and sibling
 * directories are read concurrently.
 */
async function candidateLibraries(host: HostView, root: string, dir: string): Promise<string[]> {
  const entries = (await host.readdirKinds(dir)).sort(byName);
  const pieces: Array<string | Promise<string[]>> = [];
  for (const { name, kind } of entries) {
    const path = dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
    if (kind === 'dir') pieces.push(candidateLibraries(host, root, path));
    // Match below `root` only, so that a mount point such as /opt/cuda-host does not select everything.
    else if (SHARED_OBJECT.test(name) && GPU_LIBRARY.test(path.slice(root.length))) pieces.push(path);
  }
  const below = await Promise.all(pieces.map((piece) => (typeof piece === 'string' ? [piece] : piece)));
  return below.flat();
}

/**
 * `path` and each link it leads through, ending at the first non-link. Targets may be relative or
 * absolute; a chain that leaves `dir`, loops or breaks gives a reason instead.
 */
export async function symlinkChain(host: HostView, dir: string, path: string): Promise<{ paths: string[] } | { reason: string }> {
  const paths: string[] = [];
  let current = posix.normalize(path);
  for (;;) {
    if (!isInside(dir, current) || current === dir) return { reason: `its symlink chain leaves ${dir} at ${current}` };
    if (paths.includes(current)) return { reason: `its symlink chain loops at ${current}` };
    const stat = await host.lstat(current);
    if (stat === null) return { reason: `its symlink chain breaks at ${current}, which does not exist` };
    paths.push(current);
    if (stat.kind !== 'symlink') return { paths };
    const destination = await host.readlink(current);
    if (destination === null || destination === '') return { paths };
    current = posix.isAbsolute(destination) ? posix.normalize(destination) : posix.join(posix.dirname(current), destination);
  }
}
