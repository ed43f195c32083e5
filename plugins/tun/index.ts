import { deviceNodePlugin } from '../shared/device-node-plugin.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { addTun } from './inputs.js';

/** CODER_ADD_TUN: /dev/net/tun (char 10:200), made as coder-tun in the device dir and owned by the workspace's root. */
export function tunPlugin(): EnvboxPlugin {
  return deviceNodePlugin({ name: 'tun', enabled: addTun, fileName: 'coder-tun', node: { containerPath: '/dev/net/tun', major: 10, minor: 200 } });
}
