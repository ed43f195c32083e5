import { join } from 'node:path';
import { EnvboxError } from './errors.js';
import { outerId } from './daemon-identity.js';
import type { SpecContext } from './hooks.js';
import type { ContainerCreateBody } from './container-spec/types.js';
import { withCapability, withDevice } from './container-spec/edits.js';
import { defineInput, type InputDef } from './inputs/define.js';
import { absolutePathInput } from './inputs/input-kinds.js';
import type { EnvboxPlugin } from './plugin.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from './container-spec/device.js';

/** Shared by every device-node plugin: the input is gone only when all of them are disabled. */
export const deviceDir = defineInput({
  key: 'deviceDir', env: 'ENVBOX_DEVICE_DIR', flag: 'device-dir', schema: absolutePathInput, default: '/tmp',
  description: 'Where envbox makes the FUSE and TUN nodes it passes to the workspace (coder-fuse, coder-tun).', example: '/tmp',
});

export interface DeviceNodePluginSpec {
  name: string;
  /** The boolean input that turns the device on. */
  enabled: InputDef<boolean>;
  /** The node's file name in ENVBOX_DEVICE_DIR. */
  fileName: string;
  node: Omit<DeviceNode, 'hostPath'>;
  /** The capability the workspace needs to use the device; rootless mode adds it (it holds only in the workspace's own user namespace). */
  capability: string;
}

/**
 * A plugin that, when its input is on, makes a character node in the device dir, gives it to the
 * workspace's root, and passes it in the form the runtime honours. FUSE and TUN are two of these; a
 * site's own device is one more. It makes the node (mknod): a device that already exists on the host
 * (/dev/kvm) is passed with `withDeviceNode` instead, without touching it.
 */
export function deviceNodePlugin(spec: DeviceNodePluginSpec): EnvboxPlugin {
  return {
    name: spec.name,
    inputs: [spec.enabled, deviceDir],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        if (!ctx.options.get(spec.enabled)) return body;
        if (ctx.daemon.rootless) return withRootlessDevice(body, ctx, spec);
        const node: DeviceNode = { ...spec.node, hostPath: join(ctx.options.get(deviceDir), spec.fileName) };
        declareDeviceNode(ctx, node, outerId(0, ctx.daemon, 'uid'));
        return withDeviceNode(body, ctx.runtime, node);
      });
    },
  };
}

/**
 * Rootless: a node made here would belong to no one the inner daemon maps, and with hostUsers:false
 * the kernel would not open it anyway. The pod's own node (from a device plugin or `--device`) is
 * passed instead; runc bind-mounts it, since a user namespace may not mknod.
 */
async function withRootlessDevice(body: ContainerCreateBody, ctx: SpecContext, spec: DeviceNodePluginSpec): Promise<ContainerCreateBody> {
  const path = spec.node.containerPath;
  const node = await ctx.host.stat(path);
  if (node?.kind !== 'char' || node.major !== spec.node.major || node.minor !== spec.node.minor) {
    throw new EnvboxError(
      `${spec.enabled.env} is true with ENVBOX_ROOTLESS, but the envbox container has no ${path} (char ${spec.node.major}:${spec.node.minor})`,
      `Pass ${path} to the envbox container (a device plugin on Kubernetes, \`--device ${path}\` with docker), or set ${spec.enabled.env}=false.`,
    );
  }
  const withNode = withDevice(body, { PathOnHost: path, PathInContainer: path, CgroupPermissions: 'rwm' });
  return withCapability(withNode, spec.capability);
}
