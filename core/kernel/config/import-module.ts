import { realpath } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

/**
 * import() of a config file, a plugin module or an optional package. Every dynamic import of envbox
 * goes through here because the image's bundle makes this module a file of its own
 * (deploy/bundle.ts): code that V8 compiles from envbox's code cache cannot import() on node 20.
 */
export function importModule(specifier: string): Promise<Record<string, unknown>> {
  return import(specifier) as Promise<Record<string, unknown>>;
}

/** A JS config file's default export, as cosmiconfig's own loader finds it (by its real path: a ConfigMap's file is a symlink). */
export async function importConfigFile(filepath: string): Promise<unknown> {
  return (await importModule(pathToFileURL(await realpath(filepath)).href)).default;
}
