import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PluginError, type EnvboxPlugin } from 'envbox';
import { actionsOf, describeActions, runBuildLog, runContainerSpec, runFailed, runPlan, runShutdown } from 'envbox/testing';

/** A site's own log forwarder and alerting, the hooks a site adds besides the container edits. */
function forwarder(seen: string[]): EnvboxPlugin {
  return {
    name: 'site-forwarder',
    apply({ hooks }) {
      hooks.buildLog.tap((entry) => { seen.push(`${entry.type}: ${entry.output}`); });
      hooks.failed.tap((ctx) => { seen.push(`failed: ${ctx.message}`); });
      hooks.shutdown.tap((ctx) => { seen.push(`shutdown: ${ctx.reason}`); });
    },
  };
}

describe('envbox/testing', () => {
  it('runBuildLog hands every line to the buildLog taps, scrubbed of secrets', async () => {
    const seen: string[] = [];
    await runBuildLog([forwarder(seen)], { env: { CODER_AGENT_TOKEN: 'tok-abcdef-123' }, lines: ['hello', 'token tok-abcdef-123 leaked?'] });
    assert.deepEqual(seen, ['info: hello', 'info: token [redacted] leaked?']);
  });

  it('runFailed gives the failed taps the paragraph envbox would report; runShutdown the signal', async () => {
    const seen: string[] = [];
    await runFailed([forwarder(seen)], { error: new Error('x509: certificate signed by unknown authority') });
    assert.match(seen[0] ?? '', /^failed: x509: certificate signed by unknown authority\. .*CODER_EXTRA_CERTS_PATH/);
    await runShutdown([forwarder(seen)], { reason: 'SIGINT' });
    assert.equal(seen.at(-1), 'shutdown: SIGINT');
  });

  it('hands taps a frozen body, as plan and docker do: an in-place edit fails, naming the plugin', async () => {
    const mutator: EnvboxPlugin = { name: 'site-mutator', apply({ hooks }) { hooks.containerSpec.tap((body) => { (body.Env as string[]).push('A=1'); return body; }); } };
    await assert.rejects(runContainerSpec([mutator], { body: { Image: 'ubuntu', Env: [], HostConfig: {} } }), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.plugin, 'site-mutator');
      return true;
    });
  });

  it('runPlan prints the same document as envbox plan, with the built-ins, and the actions can be asserted on', async () => {
    const { plan } = await runPlan([], { builtins: true, env: { CODER_ADD_TUN: 'true', CODER_AGENT_TOKEN: 'tok-abcdef-123' } });
    assert.equal(plan.container.name, 'workspace_cvm');
    assert.ok(plan.container.create.Env?.includes('CODER_AGENT_TOKEN=[redacted]'));
    assert.deepEqual(describeActions(actionsOf(plan.actions, 'tun')), [
      'tun/containerSpec: mknod /tmp/coder-tun c 10 200 (mode 0666)',
      'tun/containerSpec: chown 100000:100000 /tmp/coder-tun',
    ]);
  });
});
