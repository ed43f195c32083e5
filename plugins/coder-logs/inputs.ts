import { defineInput, inputKinds, schemeSlashesProblem, urlSecretForms } from 'envbox';

/** An http(s) URL; trailing slashes dropped. */
const httpUrlInput = inputKinds.textInput((text) => {
  const slashes = schemeSlashesProblem(text);
  if (slashes !== null) return new inputKinds.Problem(`${text.includes('@') ? 'the value (hidden: it may hold a password)' : inputKinds.quote(text)} is not an http(s) URL written scheme://host: it ${slashes}`);
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text.replace(/\/+$/, '');
  } catch { /* fall through to the problem */ }
  return new inputKinds.Problem(`${inputKinds.quoteUrl(text)} is not an http(s) URL`);
});

export const agentUrl = defineInput({
  key: 'agentUrl', env: 'CODER_AGENT_URL', flag: 'agent-url', aliases: ['coder-url'], schema: httpUrlInput, secretParts: urlSecretForms,
  description: 'The Coder deployment URL; with the token, startup logs are sent there.', example: 'https://coder.example.com',
});
