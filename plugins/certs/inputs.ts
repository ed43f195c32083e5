import { defineInput } from '../../core/inputs/define.js';
import { absolutePathInput } from '../../core/inputs/kinds.js';

/** Owned by the core, which also trusts these CAs for CODER_AGENT_URL; this plugin copies them for the registry. */
export { extraCertsPath } from '../../core/inputs/core-inputs.js';

export const certsDir = defineInput({
  key: 'certsDir', env: 'ENVBOX_CERTS_DIR', flag: 'certs-dir', schema: absolutePathInput, default: '/etc/docker/certs.d',
  description: "Where dockerd looks for per-registry certificates (<dir>/<host[:port]>/*.crt).", example: '/etc/docker/certs.d',
});
