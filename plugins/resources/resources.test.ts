import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runContainerSpec } from 'envbox/testing';
import { resourcesPlugin } from './index.js';

describe('resources plugin', () => {
  it('sets CpuQuota = cpus x 100000 over CpuPeriod 100000, and Memory in bytes', async () => {
    const { body } = await runContainerSpec([resourcesPlugin()], { env: { CODER_CPUS: '1', CODER_MEMORY: '1073741824' } });
    assert.equal(body.HostConfig.CpuPeriod, 100000);
    assert.equal(body.HostConfig.CpuQuota, 100000);
    assert.equal(body.HostConfig.Memory, 1073741824);
  });

  it('accepts fractional CPUs and memory units', async () => {
    const { body } = await runContainerSpec([resourcesPlugin()], { env: { CODER_CPUS: '1.5', CODER_MEMORY: '2Gi' } });
    assert.equal(body.HostConfig.CpuQuota, 150000);
    assert.equal(body.HostConfig.Memory, 2 * 2 ** 30);
  });

  it('leaves limits unset when not asked for', async () => {
    const { body } = await runContainerSpec([resourcesPlugin()]);
    assert.equal(body.HostConfig.CpuQuota, undefined);
    assert.equal(body.HostConfig.Memory, undefined);
  });
});
