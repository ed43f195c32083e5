import assert from 'node:assert/strict';
import { Sandbox, type World } from '../integration/harness/index.js';
import { installCa, pullSecret } from '../integration/harness/scenario.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { parsePhaseSplit } from './startup.js';

/**
 * A workspace restarted on a kept data root (a PVC subPath) with ENVBOX_PULL_POLICY=if-not-present,
 * against its first start on an empty one (the image is pulled). Each round uses a fresh sandbox:
 * the baseline is its first start, the subject its second.
 */
export const cachedStartBench: Benchmark = {
  name: 'cached-start',
  summary: 'second `envbox docker` on the same data root (if-not-present) vs the first start, which pulls',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    const world: World = await ctx.world();
    let sandbox: Sandbox | undefined;
    let env: Record<string, string> = {};
    const pulls = { first: [] as number[], second: [] as number[] };

    const start = async (which: 'first' | 'second', round: number): Promise<number> => {
      const began = performance.now();
      const run = await sandbox!.startEnvbox(env);
      try {
        const done = await run.waitForDone(120_000);
        const ms = since(began);
        if (round >= 0) pulls[which].push(parsePhaseSplit(done.output).pull ?? 0);
        const said = run.buildLog().some((l) => /already present \(ENVBOX_PULL_POLICY=if-not-present\)/.test(l.output));
        assert.equal(said, which === 'second', `the ${which} start ${which === 'second' ? 'uses the cached image' : 'pulls'}`);
        assert.deepEqual(await run.stop(60_000), { code: 0, signal: null }, run.tail());
        return ms;
      } finally {
        run.kill();
      }
    };

    const samples = await interleave({
      rounds: ctx.rounds,
      warmup: ctx.warmup,
      onSample: (side, round, ms) => ctx.progress(`round ${round}: ${side === 'baseline' ? 'first' : 'second'} start ${(ms / 1000).toFixed(2)} s`),
    }, async (round) => {
      sandbox = await Sandbox.create(world, `bench-cached-start-${round}`);
      env = sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.images.init,
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        ENVBOX_PULL_POLICY: 'if-not-present',
        CODER_BOOTSTRAP_SCRIPT: 'echo ready',
      });
      return start('first', round);
    }, async (round) => {
      try {
        return await start('second', round);
      } finally {
        await sandbox!.destroy();
      }
    });
    return {
      name: 'cached-start',
      baseline: { label: 'first start (pulls the image)', samplesMs: samples.baseline },
      subject: { label: 'second start, same data root, if-not-present', samplesMs: samples.subject },
      notes: [`pull phase (envbox's done line, medians): first ${(median(pulls.first) / 1000).toFixed(1)} s, second ${(median(pulls.second) / 1000).toFixed(1)} s; `
        + 'the test image is 2 MB from a registry on the same machine, so a real workspace image saves far more'],
      details: { pullPhaseMs: pulls },
    };
  },
};
