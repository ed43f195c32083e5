import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from 'envbox';
import { describeActions, runContainerSpec, runPlan, runPostStart, runPreDaemon, FakeDocker } from 'envbox/testing';
import corporateNetwork from './corporate-network.mjs';

const OPTIONS = { caFile: '/etc/corp/ca.pem', proxy: 'http://proxy.corp:3128', noProxy: ['.corp'] };

describe('example: corporate-network', () => {
  it('gives dockerd the proxy through preDaemon, and copies the CA where dockerd looks before it starts', async () => {
    const { daemon, actions } = await runPreDaemon([corporateNetwork(OPTIONS)]);
    assert.deepEqual(daemon.env, { HTTP_PROXY: 'http://proxy.corp:3128', HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost,127.0.0.1,.corp' });
    assert.equal(daemon.argv[0], 'dockerd');
    assert.deepEqual(describeActions(actions), ['corporate-network/preDaemon: copy /etc/corp/ca.pem to /etc/ssl/certs/corporate-ca.pem (mode 0644)']);
  });

  it('binds the CA read-only into the workspace, sets both spellings of the proxy variables and a label', async () => {
    const { body } = await runContainerSpec([corporateNetwork(OPTIONS)]);
    assert.deepEqual(body.HostConfig.Binds, ['/etc/corp/ca.pem:/usr/local/share/ca-certificates/corporate-ca.crt:ro']);
    for (const entry of ['HTTPS_PROXY=http://proxy.corp:3128', 'https_proxy=http://proxy.corp:3128', 'NO_PROXY=localhost,127.0.0.1,.corp']) {
      assert.ok(body.Env?.includes(entry), entry);
    }
    assert.deepEqual(body.Labels, { 'com.example.network': 'corporate' });
  });

  it('composes with the built-ins in the whole plan: the proxy does not undo the env the built-ins set', async () => {
    const { plan } = await runPlan([corporateNetwork(OPTIONS)], { builtins: true, env: { CODER_AGENT_TOKEN: 'tok-123456' } });
    assert.ok(plan.daemon.managed && plan.daemon.env.HTTPS_PROXY === 'http://proxy.corp:3128');
    assert.ok(plan.container.create.Env?.includes('CODER_AGENT_TOKEN=[redacted]'));
    assert.ok(plan.container.create.Env?.includes('HTTP_PROXY=http://proxy.corp:3128'));
    assert.ok(plan.actions.some((a) => a.plugin === 'corporate-network' && a.hook === 'preDaemon'));
  });

  it('runs update-ca-certificates as root after the start, and says what it did', async () => {
    const { docker, buildLog } = await runPostStart([corporateNetwork(OPTIONS)], { docker: new FakeDocker() });
    assert.deepEqual(docker.execs().map((e) => e.user), ['0']);
    assert.match(buildLog.at(-1)?.output ?? '', /^Corporate CA trusted in the workspace; proxy http:\/\/proxy\.corp:3128$/);
  });

  it('refuses bad options with exit 2, before anything starts', async () => {
    await assert.rejects(runContainerSpec([corporateNetwork({ caFile: 'ca.pem', proxy: 'proxy.corp:3128' })]), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['corporate-network option caFile', 'corporate-network option proxy']);
      return true;
    });
  });
});
