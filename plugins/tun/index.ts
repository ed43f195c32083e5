import { join } from 'node:path';
import { deviceDir, idOffset } from '../../core/inputs/core-inputs.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from '../../core/spec/device.js';
import { addTun } from './inputs.js';

const TUN = { containerPath: '/dev/net/tun', major: 10, minor: 200 } as const;

/** CODER_ADD_TUN: a TUN node made in the device dir, owned by the workspace's root. */
export function tunPlugin(): EnvboxPlugin {
  return {
    name: 'tun',
    inputs: [addTun],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        if (!ctx.options.get(addTun)) return body;
        const node: DeviceNode = { ...TUN, hostPath: join(ctx.options.get(deviceDir), 'coder-tun') };
        declareDeviceNode(ctx, node, ctx.options.get(idOffset));
        return withDeviceNode(body, ctx.runtime, node);
      });
    },
  };
}
