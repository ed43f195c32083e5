import { defineInput, inputKinds, urlSecretForms } from 'envbox';

export const agentUrl = defineInput({
  key: 'agentUrl', env: 'CODER_AGENT_URL', flag: 'agent-url', aliases: ['coder-url'], schema: inputKinds.httpUrlInput, secretParts: urlSecretForms,
  description: 'The Coder deployment URL; with the token, startup logs are sent there.', example: 'https://coder.example.com',
});
