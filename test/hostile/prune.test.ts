import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startLifecycle } from '../support/lifecycle-run.js';

/** Runs `docker` to ready against the fake daemon and says whether envbox pruned its images. */
async function pruned(env: Record<string, string>): Promise<{ pruned: boolean; lines: string[] }> {
  const run = await startLifecycle(env);
  await run.untilLine((e) => e.type === 'done');
  run.stop();
  assert.equal(await run.exit, 0);
  return { pruned: run.docker.calls.some((c) => c.method === 'pruneImages'), lines: run.log.map((e) => e.output) };
}

describe('hostile: a shared daemon is not ours to clean', () => {
  it('an external daemon (ENVBOX_DOCKER_HOST) is not pruned, and the build log says why', async () => {
    const result = await pruned({ ENVBOX_DOCKER_HOST: 'tcp://dind.shared:2375' });
    assert.equal(result.pruned, false);
    assert.ok(result.lines.some((l) => /Not pruning images on the daemon at tcp:\/\/dind\.shared:2375.*ENVBOX_PRUNE_IMAGES=true/.test(l)), result.lines.join('\n'));
  });

  it('an external daemon is pruned when ENVBOX_PRUNE_IMAGES=true asks for it', async () => {
    assert.equal((await pruned({ ENVBOX_DOCKER_HOST: 'tcp://dind.shared:2375', ENVBOX_PRUNE_IMAGES: 'true' })).pruned, true);
  });

  it('the daemon envbox manages is pruned by default', async () => {
    assert.equal((await pruned({})).pruned, true);
  });

  it('ENVBOX_PRUNE_IMAGES=false keeps the managed daemon\'s images too', async () => {
    assert.equal((await pruned({ ENVBOX_PRUNE_IMAGES: 'false' })).pruned, false);
  });

  it('--prune-images beats ENVBOX_PRUNE_IMAGES', async () => {
    const { resolveInputs } = await import('../../core/kernel/inputs/resolve.js');
    const { pruneImages } = await import('../../core/kernel/inputs/core-inputs.js');
    assert.equal(resolveInputs([pruneImages], { env: { ENVBOX_PRUNE_IMAGES: 'true' }, flags: { 'prune-images': 'false' } }).get(pruneImages), false);
  });
});
