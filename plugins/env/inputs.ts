import { defineInput } from '../../core/inputs/define.js';
import { envFilterInput } from '../../core/inputs/kinds.js';

export const innerEnvs = defineInput({
  key: 'innerEnvs', env: 'CODER_INNER_ENVS', flag: 'envs', schema: envFilterInput, default: [] as string[],
  description: 'Outer env vars to pass to the workspace: names or NAME_PREFIX* patterns, comma-separated.', example: 'FOO,KUBERNETES_*',
});
