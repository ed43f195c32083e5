import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set by the image's bundler (esbuild `define`); undefined when running from tsc output or tsx. */
declare const __ENVBOX_VERSION__: string | undefined;

/**
 * envbox's version. The bundle has it compiled in; otherwise the nearest package.json named envbox
 * above this file is read, so it does not depend on how deep the file sits (dist/core or core).
 */
export function envboxVersion(): string {
  if (typeof __ENVBOX_VERSION__ === 'string') return __ENVBOX_VERSION__;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'envbox' && pkg.version) return pkg.version;
    } catch {
      // No package.json here; keep looking upwards.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
