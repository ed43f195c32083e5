import { posix } from 'node:path';
import type { HostView } from 'envbox';

/**
 * The symlinks in `target`'s directory that lead to it, directly or through other links of that
 * directory. NVIDIA mounts driver files with the version in their name (`libcuda.so.535.104.05`)
 * and the unversioned names the programs open are links next to them.
 */
export async function sameDirSymlinks(host: HostView, target: string): Promise<string[]> {
  const wanted = posix.normalize(target);
  const dir = posix.dirname(wanted);
  const linkTargets = new Map<string, string>();
  for (const { name, kind } of await host.readdirKinds(dir)) {
    if (kind !== 'symlink') continue;
    const path = posix.join(dir, name);
    const destination = await host.readlink(path);
    if (destination === null || destination === '') continue;
    linkTargets.set(path, posix.isAbsolute(destination) ? posix.normalize(destination) : posix.join(dir, destination));
  }

  // Each pass adds at least one link or stops, so a directory of n links needs at most n passes,
  // even when links form a loop.
  const found = new Set<string>();
  for (let pass = 0; pass <= linkTargets.size; pass++) {
    let grew = false;
    for (const [link, destination] of linkTargets) {
      if (link === wanted || found.has(link)) continue;
      if (destination === wanted || found.has(destination)) {
        found.add(link);
        grew = true;
      }
    }
    if (!grew) break;
  }
  return [...found].sort();
}
