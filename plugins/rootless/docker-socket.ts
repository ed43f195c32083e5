import {
  coreInputs, hasBind, outerId, withBind, withEnv, type ContainerCreateBody, type EnvboxPlugin, type OptionValues, type SpecContext,
} from 'envbox';
import { rootlessDockerSocket } from './inputs.js';

const { bridgeCidr, dockerSocket, rootless } = coreInputs;

/** Where a docker client looks by default, so `docker` works in the workspace without -H. */
const WORKSPACE_SOCKET = '/var/run/docker.sock';

/**
 * ENVBOX_ROOTLESS: the workspace runs under runc, so it cannot have a dockerd of its own. It gets
 * the rootless daemon's socket instead: that daemon is unprivileged and reaches only what the pod
 * reaches. The socket is given to the workspace user's group, as the rootless namespace maps it
 * (the daemon's root is the rootless user; group g is `subgid start + g - 1`, `outerId` of `ctx.daemon`), mode 0660.
 */
export function rootlessDockerPlugin(): EnvboxPlugin {
  return {
    name: 'rootless-docker',
    inputs: [rootlessDockerSocket],
    apply({ hooks }) {
      hooks.configure.tap((options) => (sharesDaemon(options) ? withRoomOnTheBridge(options) : options));
      hooks.containerSpec.tap((body, ctx) => {
        if (!sharesDaemon(ctx.options)) return body;
        return withDaemonSocket(body, ctx);
      });
    },
  };
}

function sharesDaemon(options: OptionValues): boolean {
  return options.get(rootless) && options.get(rootlessDockerSocket);
}

/** The bridge the workspace's own `docker run` gets, when CODER_DOCKER_BRIDGE_CIDR is left at its default. */
const SHARED_BRIDGE = { cidr: '172.19.0.1/24', firstHost: '172.19.0.1', prefix: 24 } as const;

/**
 * The default /30 bridge holds the gateway and the workspace, and nothing else: a container the
 * workspace starts would get "no available IPv4 addresses". The bridge lives in rootlesskit's own
 * network namespace, behind slirp4netns, so a wider one is seen by nothing outside it. A value the
 * user set is kept.
 */
function withRoomOnTheBridge(options: OptionValues): OptionValues {
  return options.get(bridgeCidr).cidr === bridgeCidr.default!.cidr ? options.with(bridgeCidr, { ...SHARED_BRIDGE }) : options;
}

function withDaemonSocket(body: ContainerCreateBody, ctx: SpecContext): ContainerCreateBody {
  if (hasBind(body, WORKSPACE_SOCKET)) {
    ctx.buildLog.info(`${rootlessDockerSocket.env}: ${WORKSPACE_SOCKET} is already mounted in the workspace (CODER_MOUNTS or a site plugin), so the rootless daemon's socket is not bound there`);
    return body;
  }
  const socket = ctx.options.get(dockerSocket);
  ctx.act({ kind: 'chown', path: socket, uid: outerId(0, ctx.daemon, 'uid'), gid: outerId(ctx.facts.gid, ctx.daemon, 'gid') });
  ctx.act({ kind: 'chmod', path: socket, mode: '0660' });
  const bound = withBind(body, { source: socket, target: WORKSPACE_SOCKET });
  return withEnv(bound, 'DOCKER_HOST', `unix://${WORKSPACE_SOCKET}`, { ifAbsent: true });
}
