import { posix } from 'node:path';
import type { HostView } from '../../kernel/host-view.js';
import { normalizePath } from '../../kernel/paths.js';

/** As many links as Linux follows in one path lookup (MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * Where `path` leads, also when it does not exist yet: its deepest existing ancestor with links
 * resolved (realpath), then the missing rest. `mkdir -p` and dockerd create a missing directory
 * through those links, so a path that is still missing must be judged by this, not by its name:
 * `/tmp/l/new` with `/tmp/l -> /etc` is `/etc/new`. A dangling link on the way counts as where it
 * points (that is where a creation through it would land).
 */
export async function resolveAsCreated(host: Pick<HostView, 'realpath' | 'readlink'>, path: string, links = 0): Promise<string> {
  const normal = normalizePath(path);
  const missing: string[] = [];
  let base = normal;
  for (;;) {
    const real = await host.realpath(base);
    if (real !== null) return normalizePath(posix.join(real, ...missing));
    const target = links < MAX_LINKS ? await host.readlink(base) : null;
    if (target !== null) {
      const parent = await resolveAsCreated(host, posix.dirname(base), links + 1);
      return resolveAsCreated(host, posix.join(posix.isAbsolute(target) ? target : posix.join(parent, target), ...missing), links + 1);
    }
    if (base === '/') return normal;
    missing.unshift(posix.basename(base));
    base = posix.dirname(base);
  }
}
