import { defineInput, inputKinds } from 'envbox';

export const innerEnvs = defineInput({
  key: 'innerEnvs', env: 'CODER_INNER_ENVS', flag: 'envs', schema: inputKinds.envFilterInput, default: [] as string[],
  description: 'Outer env vars to pass to the workspace: names or NAME_PREFIX* patterns, comma-separated. A pattern never matches a secret input (CODER_AGENT_TOKEN, CODER_IMAGE_PULL_SECRET); naming one exactly does.', example: 'FOO,KUBERNETES_*',
});
