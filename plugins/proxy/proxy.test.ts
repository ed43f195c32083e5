import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../core/errors.js';
import { createHooks, pluginHooks, STAGE } from '../../core/hooks.js';
import { silentLogger } from '../../core/log/logger.js';
import { resolveFor, runPreDaemon } from '../../test/support/harness.js';
import { MemoryHost } from '../../test/support/memory-host.js';
import { proxyPlugin } from './index.js';
import { maskedProxy } from './inputs.js';

const PASSWORD = 'pr0xy-s3cret-value';
const WITH_CREDENTIALS = `http://alice:${PASSWORD}@proxy.corp:3128`;

async function configure(env: Record<string, string>) {
  const plugin = proxyPlugin();
  const hooks = createHooks();
  plugin.apply({ hooks: pluginHooks(hooks, plugin.name), stages: STAGE });
  return hooks.configure.promise(resolveFor([plugin], env), { mode: 'plan', host: new MemoryHost(env), log: silentLogger() });
}

describe('proxy plugin', () => {
  it('gives dockerd HTTP_PROXY, HTTPS_PROXY and NO_PROXY on its own env', async () => {
    const env = { HTTP_PROXY: 'http://proxy.corp:3128', HTTPS_PROXY: WITH_CREDENTIALS, NO_PROXY: 'localhost,.svc' };
    const { daemon, actions } = await runPreDaemon([proxyPlugin()], { env, daemon: { argv: ['dockerd'], env: { KEEP: '1' } } });
    assert.deepEqual(daemon, { argv: ['dockerd'], env: { KEEP: '1', ...env } });
    assert.deepEqual(actions, []);
  });

  it('leaves dockerd alone when no proxy is given', async () => {
    const { daemon } = await runPreDaemon([proxyPlugin()]);
    assert.deepEqual(daemon, { argv: ['dockerd'], env: {} });
  });

  it('reads the lowercase names when the uppercase ones are unset, and the uppercase name wins', async () => {
    const options = await configure({ https_proxy: WITH_CREDENTIALS, no_proxy: '.corp', HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' });
    assert.deepEqual(options.toJSON(), {
      ...options.toJSON(),
      httpProxy: 'http://upper:1',
      httpsProxy: `http://alice:[redacted]@proxy.corp:3128`,
      noProxy: '.corp',
    });
  });

  it('treats the password in a proxy URL as a secret: scrubbed everywhere, the rest readable', async () => {
    const options = await configure({ HTTPS_PROXY: WITH_CREDENTIALS, HTTP_PROXY: 'http://bob:p%40ss-word-enc@proxy:1' });
    assert.ok(options.secretValues().includes(PASSWORD));
    assert.ok(options.secretValues().includes('p@ss-word-enc'), 'the decoded password too');
    assert.equal(JSON.stringify(options.toJSON()).includes(PASSWORD), false);
    assert.equal(maskedProxy(WITH_CREDENTIALS), 'http://alice:[redacted]@proxy.corp:3128');
    assert.equal(maskedProxy('http://proxy.corp:3128'), 'http://proxy.corp:3128');
  });

  for (const [name, env, pattern] of [
    ['a URL without a scheme', { HTTPS_PROXY: 'proxy.corp:3128' }, /^HTTPS_PROXY: "proxy.corp:3128" is not a proxy URL/],
    ['a path', { HTTP_PROXY: `http://u:${PASSWORD}@proxy/x` }, /^HTTP_PROXY: "http:\/\/u:\[redacted\]@proxy\/x" has a path/],
    ['text that is no URL but may hold a password', { HTTPS_PROXY: `u:${PASSWORD} @proxy` }, /^HTTPS_PROXY: the value \(hidden: it may hold a password\) is not a proxy URL/],
    ['a bad lowercase fallback', { https_proxy: 'ftp://proxy:21' }, /^https_proxy: "ftp:\/\/proxy:21" is not a proxy URL.*Example: https_proxy=http:\/\/user:password@proxy.corp:3128$/],
  ] as const) {
    it(`rejects ${name} with exit 2, naming the variable and never the password`, async () => {
      await assert.rejects(configure(env), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.match(error.message, pattern);
        assert.equal(error.message.includes(PASSWORD), false);
        return true;
      });
    });
  }
});
