import { register } from 'node:module';

/**
 * A module-resolution hook (it runs on Node's loader thread, so it is plain JavaScript in a data:
 * URL and needs no file next to the bundle). `envbox` and `envbox/<subpath>` are resolved as if
 * imported from inside the running envbox package: Node's package self-reference then follows
 * that package's own `exports`. Anything else, and a failure, takes the normal path.
 */
const HOOK = `
let self;
export function initialize(data) { self = data.self; }
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'envbox' || specifier.startsWith('envbox/')) {
    try { return await nextResolve(specifier, { ...context, parentURL: self }); } catch {}
  }
  return nextResolve(specifier, context);
}
`;

let registered = false;

/**
 * Site configs and plugin modules may `import { defineConfig } from 'envbox'` wherever they live (a
 * ConfigMap in /etc/envbox, a folder with no node_modules): the import always gets the envbox that
 * is running, so configs need nothing installed and share its classes (`instanceof InputError`).
 * Only import (static or import()) goes through the hook, never require(): a CommonJS config's `require('envbox')`
 * finds an envbox installed next to it (node 20.19+ can require() an ES module), or nothing.
 */
export function resolveEnvboxToItself(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { self: import.meta.url } });
}
