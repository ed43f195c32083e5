import { deviceNodePlugin, type EnvboxPlugin } from 'envbox';
import { addFuse } from './inputs.js';

/** CODER_ADD_FUSE: /dev/fuse (char 10:229), made as coder-fuse in the device dir and owned by the workspace's root; rootless: the pod's /dev/fuse, plus SYS_ADMIN in the workspace's own user namespace (mount(2) of a FUSE filesystem needs it). */
export function fusePlugin(): EnvboxPlugin {
  return deviceNodePlugin({ name: 'fuse', enabled: addFuse, fileName: 'coder-fuse', node: { containerPath: '/dev/fuse', major: 10, minor: 229 }, capability: 'SYS_ADMIN' });
}
