import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readyMarkerPath, readyProbeScript } from '../core/engine/status/ready-marker.js';
import { StatusTracker } from '../core/engine/status/tracker.js';
import { cliBundle } from './lib/bundle.js';
import { interleave } from './lib/interleave.js';
import { timeOk } from './lib/spawn-time.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { nodeCommand } from '../integration/harness/bundle.js';

/**
 * The readiness probe as a kubelet runs it: `/bin/sh -c` on the ready marker, against `envbox status`
 * (the bundle), the probe before. This process plays envbox: its tracker reaches `ready`, so both
 * answer 0 (both are checked on every run).
 */
export const probeBench: Benchmark = {
  name: 'probe',
  summary: 'readiness probe: `/bin/sh -c` on the ready marker vs `envbox status` (bundle), both answering ready',
  needsWorld: false,
  async run(ctx): Promise<BenchResult> {
    const main = await cliBundle();
    const dir = await mkdtemp(join(tmpdir(), 'envbox-bench-probe-'));
    try {
      const statusFile = join(dir, 'status.json');
      const tracker = new StatusTracker(statusFile);
      for (const phase of ['starting-daemon', 'pulling', 'creating', 'bootstrapping', 'ready'] as const) tracker.enter(phase);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      const status = await nodeCommand(main, ['status', '--file', statusFile]);
      const samples = await interleave({
        rounds: ctx.rounds * 3,
        warmup: ctx.warmup,
        onSample: (side, round, ms) => { if (round % 3 === 0) ctx.progress(`round ${round}: ${side} ${ms.toFixed(1)} ms`); },
      }, () => timeOk(status, env),
      () => timeOk(['/bin/sh', '-c', readyProbeScript(readyMarkerPath(statusFile))], env));
      tracker.release();
      return {
        name: 'probe',
        baseline: { label: 'envbox status (bundle)', samplesMs: samples.baseline },
        subject: { label: 'sh -c on the ready marker', samplesMs: samples.subject },
        details: { goals: { probeMs: [...samples.subject].sort((a, b) => a - b)[samples.subject.length >> 1]! } },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
