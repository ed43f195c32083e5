import { posix } from 'node:path';
import { EnvboxError, type HostView } from 'envbox';
import { GPU_LIBRARY, SHARED_OBJECT, isInside } from './patterns.js';

/** Where a library could not be followed; the caller logs it and goes on. */
interface SkippedLibrary {
  path: string;
  reason: string;
}

interface GpuLibraries {
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
  for (const candidate of await candidateLibraries(host, dir)) {
    const chain = await symlinkChain(host, dir, candidate);
    if ('reason' in chain) skipped.push({ path: candidate, reason: chain.reason });
    else for (const path of chain.paths) paths.add(path);
  }
  return { paths: [...paths], skipped };
}

/**
 * The entries below `dir` that are not directories and are named like GPU driver libraries, depth
 * first in name order, never through symlinked dirs. Host lib dirs hold tens of thousands of files,
 * so names are matched before anything is stat'ed or even joined to a path, kinds come from readdir
 * itself, sibling directories are read concurrently, and only the few matches are put in order.
 */
async function candidateLibraries(host: HostView, root: string): Promise<string[]> {
  const base = root === '/' ? '' : root.replace(/\/+$/, '');
  const found: string[][] = [];
  const visit = async (dir: string, segments: string[]): Promise<void> => {
    const below: Promise<void>[] = [];
    for (const { name, kind } of await host.readdirKinds(dir || '/')) {
      if (kind === 'dir') below.push(visit(`${dir}/${name}`, [...segments, name]));
      // Match below `root` only, so that a mount point such as /opt/cuda-host does not select everything.
      else if (SHARED_OBJECT.test(name) && GPU_LIBRARY.test(`${segments.join('/')}/${name}`)) found.push([...segments, name]);
    }
    await Promise.all(below);
  };
  await visit(base, []);
  return found.sort(bySegments).map((segments) => `${base}/${segments.join('/')}`);
}

/** Depth-first name order: compare path segment by segment, not as strings ('-' sorts before '/'). */
function bySegments(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * `path` and each link it leads through, ending at the first non-link. Targets may be relative or
 * absolute; a chain that leaves `dir`, loops or breaks gives a reason instead.
 */
async function symlinkChain(host: HostView, dir: string, path: string): Promise<{ paths: string[] } | { reason: string }> {
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
