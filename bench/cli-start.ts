import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBundle } from './lib/bundle.js';
import { interleave } from './lib/interleave.js';
import { timeOk } from './lib/spawn-time.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { nodeCommand } from '../integration/harness/bundle.js';

const FACTS = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };

/** A plan with the usual inputs; image facts given, so no daemon is asked. Run in an empty dir: no config file. */
const PLAN_ENV = {
  CODER_INNER_IMAGE: 'registry.test/workspace:latest',
  CODER_INNER_USERNAME: 'coder',
  CODER_AGENT_TOKEN: 'bench-agent-token',
  CODER_MOUNTS: '/home/coder:/home/coder',
  CODER_CPUS: '1',
  CODER_MEMORY: '1073741824',
  CODER_BOOTSTRAP_SCRIPT: 'echo ready',
  ENVBOX_IMAGE_FACTS: JSON.stringify(FACTS),
};

/** `envbox <args>` through the bundle against a bare `node -e 0`, alternating, both spawned the same way. */
function cliBench(name: string, args: string[], summary: string, extraEnv: Record<string, string> = {}): Benchmark {
  return {
    name,
    summary,
    needsWorld: false,
    async run(ctx): Promise<BenchResult> {
      const main = await cliBundle();
    const envbox = await nodeCommand(main, args);
      const cwd = await mkdtemp(join(tmpdir(), `envbox-bench-${name}-`));
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...extraEnv };
      try {
        const samples = await interleave({
          rounds: ctx.rounds * 3,
          warmup: ctx.warmup,
          onSample: (side, round, ms) => { if (round % 3 === 0) ctx.progress(`round ${round}: ${side} ${ms.toFixed(0)} ms`); },
        }, () => timeOk([process.execPath, '-e', '0'], env, cwd), () => timeOk(envbox, env, cwd));
        return {
          name,
          baseline: { label: 'node -e 0', samplesMs: samples.baseline },
          subject: { label: `envbox ${args.join(' ')} (bundle)`, samplesMs: samples.subject },
          details: { bundle: main, rounds: ctx.rounds * 3 },
        };
      } finally {
        await rm(cwd, { recursive: true, force: true });
      }
    },
  };
}

export const versionBench = cliBench('version', ['--version'], '`envbox --version` through the bundle vs a bare `node -e 0` (3x the rounds: each run is short)');
export const planBench = cliBench('plan', ['plan'], '`envbox plan` (image facts given, no daemon) through the bundle vs a bare `node -e 0`', PLAN_ENV);
