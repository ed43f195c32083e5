import { defineInput, inputKinds } from 'envbox';
import { credentialSecrets, dockerConfigSchema } from './docker-config.js';

/** How a docker config is described in errors, for the env var and the file alike. */
export const DOCKER_CONFIG_JSON = 'a docker config JSON (like {"auths":{"registry.example.com":{"auth":"<base64 user:pass>"}}})';

export const imagePullSecret = defineInput({
  key: 'imagePullSecret', env: 'CODER_IMAGE_PULL_SECRET', flag: 'image-secret', secret: true,
  schema: inputKinds.jsonInput(dockerConfigSchema, DOCKER_CONFIG_JSON, true),
  description:
    'Registry credentials for pulling the workspace image, as a docker config JSON (the content of a Kubernetes '
    + '`kubernetes.io/dockerconfigjson` secret). Used when CODER_DOCKER_CONFIG does not exist.',
  example: '{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="}}}',
  // The password inside each `auth` is as secret as the `auth` itself.
  secretParts: (config) => credentialSecrets(config?.auths),
});

export const dockerConfigPath = defineInput({
  key: 'dockerConfigPath', env: 'CODER_DOCKER_CONFIG', flag: 'docker-config', schema: inputKinds.absolutePathInput, default: '/root/.docker/config.json',
  description: 'A docker config file to take registry credentials from; when it exists it is used instead of CODER_IMAGE_PULL_SECRET.',
  example: '/root/.docker/config.json',
});
