import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from 'envbox';
import { prepareTest, runContainerSpec } from 'envbox/testing';
import policy from './policy.mjs';

const OPTIONS = { registries: ['registry.corp.example'], maxCpus: 4, maxMemory: '8Gi' };
const ALLOWED = { CODER_INNER_IMAGE: 'registry.corp.example/team/workspace:1' };

describe('example: site policy', () => {
  it('refuses an image from another registry with exit 2, naming the variable, the registry and the allowed ones', async () => {
    await assert.rejects(prepareTest([policy(OPTIONS)], { builtins: true, env: { CODER_INNER_IMAGE: 'docker.io/library/ubuntu' } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.message, 'CODER_INNER_IMAGE: "docker.io/library/ubuntu" comes from docker.io, which this site does not allow '
        + '(allowed: registry.corp.example). Example: CODER_INNER_IMAGE=registry.corp.example/team/workspace:latest');
      return true;
    });
  });

  it('caps what the resources built-in asked for, after it ran (POLICY stage)', async () => {
    const { body, buildLog } = await runContainerSpec([policy(OPTIONS)], { builtins: true, env: { ...ALLOWED, CODER_CPUS: '16', CODER_MEMORY: '64Gi' } });
    assert.equal(body.HostConfig.CpuQuota, 400_000);
    assert.equal(body.HostConfig.CpuPeriod, 100_000);
    assert.equal(body.HostConfig.Memory, 8 * 2 ** 30);
    assert.ok(buildLog.some((e) => e.output === 'Site policy: CPUs capped at 4.'));
  });

  it('keeps a request below the caps, and applies the caps when none was made', async () => {
    const small = await runContainerSpec([policy(OPTIONS)], { builtins: true, env: { ...ALLOWED, CODER_CPUS: '1.5', CODER_MEMORY: '2Gi' } });
    assert.equal(small.body.HostConfig.CpuQuota, 150_000);
    assert.equal(small.body.HostConfig.Memory, 2 * 2 ** 30);
    const unset = await runContainerSpec([policy(OPTIONS)], { builtins: true, env: ALLOWED });
    assert.equal(unset.body.HostConfig.CpuQuota, 400_000);
    assert.equal(unset.body.HostConfig.Memory, 8 * 2 ** 30);
  });

  it('reports a bad image together with every other bad input', async () => {
    await assert.rejects(prepareTest([policy(OPTIONS)], { builtins: true, env: { CODER_INNER_IMAGE: 'ghcr.io/x/y', CODER_CPUS: 'two' } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['CODER_CPUS', 'CODER_INNER_IMAGE']);
      return true;
    });
  });
});
