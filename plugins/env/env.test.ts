import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHost, runContainerSpec } from 'envbox/testing';
import { envPlugin, filterEnv, mergeSubsystems } from './index.js';

describe('env plugin', () => {
  it('passes names and PREFIX* wildcards, merges the subsystem, as the original unit suite expects', async () => {
    const outer = {
      USER: 'root', USA: 'yay', HOME: '/root', PATH: '/usr/bin:/sbin:/bin', CODER_AGENT_SUBSYSTEM: 'exectrace',
      FOO: 'bar', CODER_VAR: 'baz', bar: '123',
      KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_PORT: 'tcp://10.0.0.1:443', KUBERNETES_PORT_443_TCP_PORT: '443',
    };
    const env = { ...outer, CODER_AGENT_TOKEN: 'hi', CODER_INNER_ENVS: 'FOO,CODER_VAR,bar,KUBERNETES_*,US_*' };
    const { body } = await runContainerSpec([envPlugin()], { env, host: new MemoryHost(env) });
    assert.deepEqual([...(body.Env ?? [])].sort(), [
      'CODER_AGENT_SUBSYSTEM=envbox,exectrace', 'CODER_AGENT_TOKEN=hi', 'CODER_VAR=baz', 'FOO=bar',
      'KUBERNETES_PORT=tcp://10.0.0.1:443', 'KUBERNETES_PORT_443_TCP_PORT=443', 'KUBERNETES_SERVICE_HOST=10.0.0.1', 'bar=123',
    ]);
  });

  it('sets the subsystem to envbox alone when the outer one is unset', () => {
    assert.equal(mergeSubsystems(undefined), 'envbox');
    assert.equal(mergeSubsystems(' zeta, envbox ,alpha,,alpha'), 'alpha,envbox,zeta');
  });

  it('never lets a wildcard replace the merged subsystem', async () => {
    const env = { CODER_AGENT_SUBSYSTEM: 'exectrace', CODER_INNER_ENVS: 'CODER_*' };
    const { body } = await runContainerSpec([envPlugin()], { env, host: new MemoryHost(env) });
    assert.ok(body.Env?.includes('CODER_AGENT_SUBSYSTEM=envbox,exectrace'));
    assert.equal(body.Env?.filter((e) => e.startsWith('CODER_AGENT_SUBSYSTEM=')).length, 1);
  });

  it('matches a filter exactly unless it ends in *', () => {
    assert.deepEqual(filterEnv({ FOO: '1', FOOD: '2' }, ['FOO']), [['FOO', '1']]);
    assert.deepEqual(filterEnv({ FOO: '1', FOOD: '2' }, ['FOO*']), [['FOO', '1'], ['FOOD', '2']]);
  });
});
