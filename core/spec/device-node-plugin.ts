import { join } from 'node:path';
import { deviceDir, idOffset } from '../inputs/core-inputs.js';
import type { InputDef } from '../inputs/define.js';
import type { EnvboxPlugin } from '../plugin.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from './device.js';

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
    inputs: [spec.enabled],
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
