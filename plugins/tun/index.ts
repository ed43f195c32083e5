import { deviceNodePlugin, type EnvboxPlugin } from 'envbox';
import { addTun } from './inputs.js';

/** CODER_ADD_TUN: /dev/net/tun (char 10:200), made as coder-tun in the device dir and owned by the workspace's root; rootless: the pod's /dev/net/tun, plus NET_ADMIN in the workspace's own network namespace. */
export function tunPlugin(): EnvboxPlugin {
  return deviceNodePlugin({ name: 'tun', enabled: addTun, fileName: 'coder-tun', node: { containerPath: '/dev/net/tun', major: 10, minor: 200 }, capability: 'NET_ADMIN' });
}
