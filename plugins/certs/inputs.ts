import { defineInput } from '../../core/inputs/define.js';
import { absolutePathInput } from '../../core/inputs/kinds.js';

/** Shared with coder-logs, which trusts these CAs for CODER_AGENT_URL; this plugin copies them for the registry. */
export const extraCertsPath = defineInput({
  key: 'extraCertsPath', env: 'CODER_EXTRA_CERTS_PATH', flag: 'extra-certs-path', schema: absolutePathInput,
  description:
    'A CA certificate file, or a directory of certificate files, for the registry of the workspace image. '
    + "They are copied to dockerd's certs.d/<registry>/ (a file becomes ca.crt) and also trusted for CODER_AGENT_URL.",
  example: '/etc/envbox/certs',
});

export const certsDir = defineInput({
  key: 'certsDir', env: 'ENVBOX_CERTS_DIR', flag: 'certs-dir', schema: absolutePathInput, default: '/etc/docker/certs.d',
  description: "Where dockerd looks for per-registry certificates (<dir>/<host[:port]>/*.crt).", example: '/etc/docker/certs.d',
});
