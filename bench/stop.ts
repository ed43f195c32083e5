import { cliBundle } from './lib/bundle.js';
import { interleave } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { envboxRound, type EnvboxSample } from './startup.js';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function describe(label: string, samples: EnvboxSample[]): string {
  const med = (pick: (x: EnvboxSample) => number) => median(samples.map(pick));
  const steps = Object.keys(samples[0]?.stop.steps ?? {}).filter((k) => k !== 'total');
  return `${label}: SIGTERM → exit ${s(med((x) => x.stop.total))}, the workspace's own processes ${s(med((x) => x.stop.workspace))}, `
    + `envbox's share ${s(med((x) => x.stop.envbox))} (${steps.map((k) => `${k} ${s(med((x) => x.stop.steps[k] ?? 0))}`).join(', ')})`;
}

/**
 * SIGTERM → exit of a ready envbox (bundle), for an image without /sbin/init (docker's init as
 * PID 1 over `sleep infinity`) and one with it. envbox's share is the total less the bootstrap and
 * the container stop, which wait for the workspace's own processes.
 */
export const stopBench: Benchmark = {
  name: 'stop',
  summary: 'SIGTERM → exit of a ready `envbox docker` (bundle): image without /sbin/init (baseline column) and with it (subject column)',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    const main = await cliBundle();
    const world = await ctx.world();
    const noInit: EnvboxSample[] = [];
    const withInit: EnvboxSample[] = [];
    // Each round starts envbox first; only SIGTERM → exit is the sample.
    const lastStop = (list: EnvboxSample[], round: number) => (round >= 0 ? list.at(-1)!.stop.total : 0);
    const samples = await interleave({
      rounds: ctx.rounds,
      warmup: ctx.warmup,
      onSample: (side, round, ms) => ctx.progress(`round ${round}: ${side === 'baseline' ? 'no init' : '/sbin/init'} ${s(ms)}`),
    }, async (round) => { await envboxRound(world, round, main, noInit, 'noinit'); return lastStop(noInit, round); },
    async (round) => { await envboxRound(world, round, main, withInit, 'init'); return lastStop(withInit, round); });
    const share = (list: EnvboxSample[]) => median(list.map((x) => x.stop.envbox));
    return {
      name: 'stop',
      baseline: { label: 'SIGTERM → exit, no /sbin/init', samplesMs: samples.baseline },
      subject: { label: 'SIGTERM → exit, /sbin/init', samplesMs: samples.subject },
      notes: [describe('no /sbin/init', noInit), describe('/sbin/init', withInit)],
      details: {
        goals: { envboxShareNoInitMs: share(noInit), envboxShareInitMs: share(withInit) },
        noInit: noInit.map((x) => x.stop), withInit: withInit.map((x) => x.stop),
      },
    };
  },
};
