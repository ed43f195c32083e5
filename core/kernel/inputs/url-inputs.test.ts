// Every URL input that may carry credentials refuses text that is not literally scheme://authority
// (WHATWG's URL accepts it, Go's net/url and envbox's own userinfo reading find no password there).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConfigure } from 'envbox/testing';
import { builtinPlugins } from '../../../plugins/index.js';
import { InputError } from '../errors.js';

const PASSWORD = 'url-s3cret-pw';

async function refusal(env: Record<string, string>): Promise<string> {
  try {
    await runConfigure(builtinPlugins(), { env });
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    return error.message;
  }
  assert.fail(`${JSON.stringify(env)} was accepted`);
}

const CASES: [variable: string, value: string, problem: RegExp][] = [
  ['HTTP_PROXY', `http:/u:${PASSWORD}@proxy.corp:3128`, /is not a proxy URL written scheme:\/\/\[user:password@\]host:port: it has a single "\/" after the scheme/],
  ['HTTPS_PROXY', `http:///u:${PASSWORD}@proxy.corp:3128`, /it has three "\/" after the scheme/],
  ['https_proxy', `http:\\\\u:${PASSWORD}@proxy.corp:3128`, /it has a backslash right after the scheme/],
  ['HTTP_PROXY', `http:u:${PASSWORD}@proxy.corp:3128`, /it has no "\/\/" after the scheme/],
  ['HTTP_PROXY', `http://u:${PASSWORD}\n@proxy.corp:3128`, /holds a tab, newline or other control character/],
  ['CODER_AGENT_URL', `https:/u:${PASSWORD}@coder.test`, /is not an http\(s\) URL written scheme:\/\/host: it has a single "\/"/],
  ['CODER_AGENT_URL', `https:\\\\u:${PASSWORD}@coder.test`, /backslash/],
  ['ENVBOX_REGISTRY_MIRRORS', `https://ok.test,https:/u:${PASSWORD}@mirror.corp`, /entry 2 is not an http\(s\) URL written scheme:\/\/host\[:port\]: it has a single "\/"/],
  ['ENVBOX_REGISTRY_MIRRORS', 'https:///mirror.corp', /entry 1 .*three "\/"/],
  ['ENVBOX_DOCKER_HOST', `tcp://u:${PASSWORD}@docker.test:2375`, /holds user:password@ \(the value is hidden\); a tcp:\/\/ Docker address takes no credentials/],
];

describe('URL inputs that may carry credentials: only scheme://authority, literally', () => {
  for (const [variable, value, problem] of CASES) {
    it(`${variable}=${JSON.stringify(value.replace(PASSWORD, '***'))} is exit 2, naming the variable and what is wrong, with an example, never the password`, async () => {
      const message = await refusal({ CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder', [variable]: value });
      assert.match(message, new RegExp(`^${variable}: `, 'm'));
      assert.match(message, problem);
      assert.match(message, new RegExp(`Example: ${variable}=\\S+`));
      assert.equal(message.includes(PASSWORD), false, message);
    });
  }
});
