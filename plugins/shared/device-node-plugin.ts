import { join } from 'node:path';
import { idOffset } from '../../core/inputs/core-inputs.js';
import { defineInput, type InputDef } from '../../core/inputs/define.js';
import { absolutePathInput } from '../../core/inputs/kinds.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from '../../core/spec/device.js';

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
}

/**
 * A plugin that, when its input is on, makes a character node in the device dir, gives it to the
 * workspace's root, and passes it in the form the runtime honours. FUSE and TUN are two of these.
 */
export function deviceNodePlugin(spec: DeviceNodePluginSpec): EnvboxPlugin {
  return {
    name: spec.name,
    inputs: [spec.enabled, deviceDir],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        if (!ctx.options.get(spec.enabled)) return body;
        const node: DeviceNode = { ...spec.node, hostPath: join(ctx.options.get(deviceDir), spec.fileName) };
        declareDeviceNode(ctx, node, ctx.options.get(idOffset));
        return withDeviceNode(body, ctx.runtime, node);
      });
    },
  };
}
