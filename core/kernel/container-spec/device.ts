import type { ActionSink } from '../actions.js';
import { isAtOrBelow } from '../paths.js';
import type { ContainerCreateBody } from './types.js';
import { hasBind, withBind, withDevice, withDeviceCgroupRule, type MergeOptions } from './edits.js';

export interface DeviceNode {
  hostPath: string;
  containerPath: string;
  major: number;
  minor: number;
}

/**
 * Passes a character device to the workspace in the form its runtime honours. sysbox-runc maps
 * `Devices` itself. runc under userns-remap ignores PathOnHost and bind-mounts an unopenable node,
 * so there we bind the node and allow it with a device cgroup rule instead. With `ifAbsent`, a node
 * already mapped in either form is left as it is.
 */
export function withDeviceNode(body: ContainerCreateBody, runtime: string, node: DeviceNode, options: MergeOptions = {}): ContainerCreateBody {
  const mapped = hasBind(body, node.containerPath) || (body.HostConfig.Devices ?? []).some((d) => d.PathInContainer === node.containerPath);
  if (options.ifAbsent && mapped) return body;
  if (runtime === 'sysbox-runc') {
    return withDevice(body, { PathOnHost: node.hostPath, PathInContainer: node.containerPath, CgroupPermissions: 'rwm' });
  }
  const bound = withBind(body, { source: node.hostPath, target: node.containerPath });
  return withDeviceCgroupRule(bound, `c ${node.major}:${node.minor} rwm`);
}

/**
 * Declares making a node of envbox's own (in ENVBOX_DEVICE_DIR, say) and giving it to the workspace's
 * root (host id `idOffset`). A node the outer container already has (`/dev/kvm`) is passed with
 * `withDeviceNode` alone: making it again and handing it to the workspace's root would change the
 * node for everything else in the pod, so a path under /dev is refused.
 */
export function declareDeviceNode(sink: ActionSink, node: DeviceNode, idOffset: number): void {
  if (isAtOrBelow(node.hostPath, '/dev')) {
    throw new Error(`declareDeviceNode makes and chowns a node of envbox's own, and ${node.hostPath} is one of the outer container's devices (under /dev); ` +
      `pass an existing node with withDeviceNode(body, ctx.runtime, { hostPath: '${node.hostPath}', ... }) alone`);
  }
  sink.act({ kind: 'mknod', path: node.hostPath, major: node.major, minor: node.minor, mode: '0666' });
  sink.act({ kind: 'chown', path: node.hostPath, uid: idOffset, gid: idOffset });
}
