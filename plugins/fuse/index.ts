import { join } from 'node:path';
import { deviceDir, idOffset } from '../../core/inputs/core-inputs.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from '../../core/spec/device.js';
import { addFuse } from './inputs.js';

const FUSE = { containerPath: '/dev/fuse', major: 10, minor: 229 } as const;

/** CODER_ADD_FUSE: a FUSE node made in the device dir, owned by the workspace's root. */
export function fusePlugin(): EnvboxPlugin {
  return {
    name: 'fuse',
    inputs: [addFuse],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        if (!ctx.options.get(addFuse)) return body;
        const node: DeviceNode = { ...FUSE, hostPath: join(ctx.options.get(deviceDir), 'coder-fuse') };
        declareDeviceNode(ctx, node, ctx.options.get(idOffset));
        return withDeviceNode(body, ctx.runtime, node);
      });
    },
  };
}
