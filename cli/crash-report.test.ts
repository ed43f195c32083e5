import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { planEnv, projectDir, removeProjects, runCli } from '../test/hostile/cli.js';

after(removeProjects);

const TOKEN = 'agent-token-crash-9f8e7d';

/** A site plugin whose configure tap never finishes, and whose timer then fails as `failure` says. */
function crashingConfig(failure: string): string {
  return `export default { plugins: [{ name: 'crashy', apply({ hooks }) {
  hooks.configure.tap(async (options) => {
    setTimeout(() => { ${failure} }, 20);
    await new Promise(() => {});
    return options;
  });
} }] };
`;
}

describe('envbox docker never ends unheard', () => {
  const cases = {
    'an uncaught exception': `throw new Error('timer broke, token ${TOKEN}');`,
    'an unhandled rejection': `Promise.reject(new Error('promise broke, token ${TOKEN}'));`,
  };
  for (const [what, failure] of Object.entries(cases)) {
    it(`${what} in a site plugin: a build-log error line, the termination message, exit 1, the token scrubbed`, async () => {
      const root = await projectDir({ 'envbox.config.mjs': crashingConfig(failure) });
      const env = planEnv(root, { CODER_AGENT_TOKEN: TOKEN, CODER_AGENT_URL: 'https://coder.example.com' });
      const { code, stderr } = await runCli(['docker'], env, root);
      assert.equal(code, 1, stderr);
      const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; output: string });
      const errors = lines.filter((l) => l.type === 'error');
      assert.equal(errors.length, 1, stderr);
      assert.match(errors[0]!.output, /envbox stopped on an unexpected (error|rejection): (timer|promise) broke, token \[redacted\]/);
      const termination = await readFile(join(root, 'termination-log'), 'utf8');
      assert.match(termination, /envbox stopped on an unexpected/);
      assert.doesNotMatch(stderr + termination, new RegExp(TOKEN));
    });
  }
});
