import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root (this file is integration/harness/paths.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Offline assets built by integration/world/build-assets.sh (cached between runs). */
export const assetsDir = process.env.ENVBOX_WORLD_DIR ?? '/var/tmp/envbox-world';

/** Where worlds and sandboxes keep their per-run dirs and where logs of finished sandboxes are kept. */
export const runsDir = process.env.ENVBOX_IT_DIR ?? '/var/tmp/envbox-it';
