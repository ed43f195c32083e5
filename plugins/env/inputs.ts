import { defineInput, inputKinds } from 'envbox';

/** Names (`FOO`) or prefixes (`KUBERNETES_*`), comma-separated. */
const envFilterInput = inputKinds.textInput((text) => {
  const filters = text.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const bad = filters.find((f) => !/^[A-Za-z_][A-Za-z0-9_]*\*?$|^\*$/.test(f));
  return bad === undefined ? filters : new inputKinds.Problem(`${inputKinds.quote(bad)} is not a variable name or a NAME_PREFIX* pattern`);
});

export const innerEnvs = defineInput({
  key: 'innerEnvs', env: 'CODER_INNER_ENVS', flag: 'envs', schema: envFilterInput, default: [] as string[],
  description: 'Outer env vars to pass to the workspace: names or NAME_PREFIX* patterns, comma-separated. A pattern never matches a secret input (CODER_AGENT_TOKEN, CODER_IMAGE_PULL_SECRET); naming one exactly does.', example: 'FOO,KUBERNETES_*',
});
