import type { EnvboxPlugin } from './plugin.js';
import { workspacePlugin } from '../plugins/workspace/index.js';
import { envPlugin } from '../plugins/env/index.js';
import { resourcesPlugin } from '../plugins/resources/index.js';
import { mountsPlugin } from '../plugins/mounts/index.js';
import { fusePlugin } from '../plugins/fuse/index.js';
import { tunPlugin } from '../plugins/tun/index.js';
import { gpuPlugin } from '../plugins/gpu/index.js';
import { certsPlugin } from '../plugins/certs/index.js';
import { pullSecretPlugin } from '../plugins/pullsecret/index.js';
import { proxyPlugin } from '../plugins/proxy/index.js';
import { registryMirrorsPlugin } from '../plugins/registry-mirrors/index.js';
import { innerDockerPlugin } from '../plugins/inner-docker/index.js';

/**
 * The built-in plugins, in registration order. Each CODER_* feature is one of these, applied
 * exactly as a site's plugins are; `disable: ['gpu']` in a config leaves one out.
 */
export function builtinPlugins(): EnvboxPlugin[] {
  return [workspacePlugin(), envPlugin(), resourcesPlugin(), mountsPlugin(), fusePlugin(), tunPlugin(), gpuPlugin(), certsPlugin(), pullSecretPlugin(),
    proxyPlugin(), registryMirrorsPlugin(), innerDockerPlugin()];
}
