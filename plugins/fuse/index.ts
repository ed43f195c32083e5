import { deviceNodePlugin } from '../shared/device-node-plugin.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { addFuse } from './inputs.js';

/** CODER_ADD_FUSE: /dev/fuse (char 10:229), made as coder-fuse in the device dir and owned by the workspace's root. */
export function fusePlugin(): EnvboxPlugin {
  return deviceNodePlugin({ name: 'fuse', enabled: addFuse, fileName: 'coder-fuse', node: { containerPath: '/dev/fuse', major: 10, minor: 229 } });
}
