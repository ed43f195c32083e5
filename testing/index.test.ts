import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PluginError, type EnvboxPlugin } from 'envbox';
import { actionsOf, describeActions, FakeDocker, runBuildLog, runContainerSpec, runFailed, runPlan, runPostStart, runShutdown } from 'envbox/testing';

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
    // As in envbox docker, the failure line is in the build log before the failed taps run.
    assert.match(seen[0] ?? '', /^error: x509: certificate signed by unknown authority\. .*CODER_EXTRA_CERTS_PATH/);
    assert.match(seen[1] ?? '', /^failed: x509: certificate signed by unknown authority\. .*CODER_EXTRA_CERTS_PATH/);
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

  it("a failed tap's own error is a warning after the failure line, as in envbox docker", async () => {
    const broken: EnvboxPlugin = { name: 'site-alert', apply({ hooks }) { hooks.failed.tap(() => { throw new Error('pager down'); }); } };
    const { buildLog } = await runFailed([broken]);
    assert.equal(buildLog[0]?.type, 'error');
    assert.match(buildLog.at(-1)?.output ?? '', /^Warning: plugin "site-alert" failed in hook "failed": pager down/);
  });

  it("the fake Docker's exec answers with the exit code and output a test gives", async () => {
    const results: number[] = [];
    const probe: EnvboxPlugin = {
      name: 'site-probe',
      apply({ hooks }) { hooks.postStart.tap(async (ctx) => { results.push((await ctx.docker.exec(ctx.containerId, { cmd: ['false'] })).exitCode); }); },
    };
    const docker = new FakeDocker();
    docker.execAnswer = () => ({ exitCode: 3, output: 'no such thing' });
    await runPostStart([probe], { docker });
    assert.deepEqual(results, [3]);
  });

  it("plugins see the test's env as process.env, not the caller's, and a read of an undeclared name is named", async () => {
    process.env.SITE_REGION_FROM_SHELL = 'eu-from-the-shell';
    try {
      const seen: Array<string | undefined> = [];
      const reader: EnvboxPlugin = {
        name: 'site-reader',
        apply({ hooks }) { hooks.containerSpec.tap((body) => { seen.push(process.env.SITE_REGION_FROM_SHELL, process.env.CODER_INNER_IMAGE); return body; }); },
      };
      const { buildLog } = await runContainerSpec([reader]);
      assert.deepEqual(seen, [undefined, 'ubuntu']);
      const warnings = buildLog.map((e) => e.output).filter((o) => o.startsWith('Warning: plugin "site-reader"'));
      assert.equal(warnings.length, 1, 'one warning, for the undeclared name only (CODER_INNER_IMAGE is an input)');
      assert.match(warnings[0]!, /read process\.env\.SITE_REGION_FROM_SHELL in containerSpec, which no input declares\. Declare it with defineInput/);
      assert.equal(process.env.SITE_REGION_FROM_SHELL, 'eu-from-the-shell', 'the real env is back after the run');
    } finally {
      delete process.env.SITE_REGION_FROM_SHELL;
    }
  });
});
