import { defineInput, inputKinds } from 'envbox';

export const rootlessUser = defineInput({
  key: 'rootlessUser', env: 'ENVBOX_ROOTLESS_USER', flag: 'rootless-user', schema: inputKinds.nameInput, default: 'envbox',
  description:
    'With ENVBOX_ROOTLESS: the non-root user of the envbox image that dockerd runs as. Its uid and its /etc/subuid and /etc/subgid ranges '
    + "are read from the image; the ranges must lie inside the ids the pod's user namespace maps (the image's envbox: uid 1001, ids 10000-65535).",
  example: 'envbox',
});
export const rootlessDir = defineInput({
  key: 'rootlessDir', env: 'ENVBOX_ROOTLESS_DIR', flag: 'rootless-dir', schema: inputKinds.absolutePathInput, default: '/run/envbox-rootless',
  description:
    "With ENVBOX_ROOTLESS: the rootless dockerd's runtime dir (XDG_RUNTIME_DIR), owned by ENVBOX_ROOTLESS_USER. The socket, exec root and pidfile "
    + 'go here (docker.sock, docker, docker.pid) unless ENVBOX_DOCKER_SOCKET, ENVBOX_DOCKER_EXEC_ROOT or ENVBOX_DOCKER_PIDFILE name other places.',
  example: '/run/envbox-rootless',
});

export const rootlessDockerSocket = defineInput({
  key: 'rootlessDockerSocket', env: 'ENVBOX_ROOTLESS_DOCKER_SOCKET', flag: 'rootless-docker-socket', schema: inputKinds.booleanInput, default: true, boolean: true,
  description:
    "With ENVBOX_ROOTLESS: bind the rootless dockerd's socket into the workspace at /var/run/docker.sock (DOCKER_HOST set to it), owned by the "
    + "workspace user's group, mode 0660, so `docker` works there. The workspace user then controls the daemon that runs the workspace itself "
    + '(see docs/rootless.md); CODER_DOCKER_BRIDGE_CIDR left at its default becomes 172.19.0.1/24, so that the containers it '
    + 'starts get addresses. false gives the workspace no docker. Ignored without ENVBOX_ROOTLESS.',
  example: 'false',
});
