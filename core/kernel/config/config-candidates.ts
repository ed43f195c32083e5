import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * cosmiconfig's own meta-config places (`.config/config.*` in the working directory, package.yaml),
 * which can redirect its search: if one exists, the search is left to cosmiconfig.
 */
const META_PLACES = ['package.yaml', '.config'];

/**
 * Whether a config search could find anything: true as soon as one of the names exists in `cwd` or
 * any directory above it, up to the root. It looks further than cosmiconfig's project search (which
 * stops at the first package.json), so a false here means cosmiconfig would find nothing either, and
 * loading it (with js-yaml and parse-json, about 10 ms of a start) can be skipped.
 */
export function mayHaveConfig(cwd: string, names: readonly string[]): boolean {
  if (META_PLACES.some((name) => existsSync(join(cwd, name)))) return true;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (names.some((name) => existsSync(join(dir, name)))) return true;
    if (dirname(dir) === dir) return false;
  }
}
