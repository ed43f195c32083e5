// The entry of envbox.cjs, the image's one file of the CLI and the API (see deploy/bundle.ts): what
// cli/main.ts imports lazily, by name, and the two public entry points as namespaces, which the
// generated index.mjs and testing.mjs re-export.
export { runCommand } from '../cli/commands.js';
export * as api from '../core/api/index.js';
export * as testing from '../testing/index.js';
