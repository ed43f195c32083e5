import type { EnvboxPlugin } from 'envbox';
import { workspacePlugin } from './workspace/index.js';
import { envPlugin } from './env/index.js';
import { resourcesPlugin } from './resources/index.js';
import { mountsPlugin } from './mounts/index.js';
import { fusePlugin } from './fuse/index.js';
import { tunPlugin } from './tun/index.js';
import { gpuPlugin } from './gpu/index.js';
import { certsPlugin } from './certs/index.js';
import { pullSecretPlugin } from './pullsecret/index.js';
import { coderLogsPlugin } from './coder-logs/index.js';
import { proxyPlugin } from './proxy/index.js';
import { registryMirrorsPlugin } from './registry-mirrors/index.js';
import { innerDockerPlugin } from './inner-docker/index.js';
import { rootlessDockerPlugin, rootlessPlugin } from './rootless/index.js';

/**
 * The built-in plugins, in registration order. Each CODER_* feature is one of these, applied
 * exactly as a site's plugins are; `disable: ['gpu']` in a config leaves one out.
 */
export function builtinPlugins(): EnvboxPlugin[] {
  return [workspacePlugin(), envPlugin(), resourcesPlugin(), mountsPlugin(), fusePlugin(), tunPlugin(), gpuPlugin(), certsPlugin(), pullSecretPlugin(), coderLogsPlugin(),
    proxyPlugin(), registryMirrorsPlugin(), innerDockerPlugin(), rootlessPlugin(), rootlessDockerPlugin()];
}
