import { defineInput } from '../../core/inputs/define.js';
import { httpUrlInput } from '../../core/inputs/kinds.js';
import { urlSecretForms } from '../../core/inputs/url-userinfo.js';

export { extraCertsPath } from '../certs/inputs.js';

export const agentUrl = defineInput({
  key: 'agentUrl', env: 'CODER_AGENT_URL', flag: 'agent-url', aliases: ['coder-url'], schema: httpUrlInput, secretParts: urlSecretForms,
  description: 'The Coder deployment URL; with the token, startup logs are sent there.', example: 'https://coder.example.com',
});
