import { defineInput } from '../../core/inputs/define.js';
import { booleanInput } from '../../core/inputs/kinds.js';

export const rootlessDockerSocket = defineInput({
  key: 'rootlessDockerSocket', env: 'ENVBOX_ROOTLESS_DOCKER_SOCKET', flag: 'rootless-docker-socket', schema: booleanInput, default: true, boolean: true,
  description:
    "With ENVBOX_ROOTLESS: bind the rootless dockerd's socket into the workspace at /var/run/docker.sock (DOCKER_HOST set to it), owned by the "
    + "workspace user's group, mode 0660, so `docker` works there. The workspace user then controls the daemon that runs the workspace itself "
    + '(see docs/rootless.md); CODER_DOCKER_BRIDGE_CIDR left at its default becomes 172.19.0.1/24, so that the containers it '
    + 'starts get addresses. false gives the workspace no docker. Ignored without ENVBOX_ROOTLESS.',
  example: 'false',
});
