import assert from 'node:assert/strict';
import { findPasswdEntry, findPasswdEntryInStream } from '../core/engine/read-image-facts.js';
import { planContainer } from '../core/engine/lifecycle/run-hooks.js';
import { curveResult, perCall, runCurve, type Curve } from './lib/growth.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { FACTS, FULL_ENV, plainContainerSpec, plainInputs, prepareBenchApp } from './spec-pipeline.js';

/** Enough calls that one sample of small work lasts well over the timer's resolution. */
const callsFor = (size: number) => Math.max(3, Math.round(2000 / size));

/**
 * A container spec through every built-in plugin's hooks against the same edits in a plain function
 * (spec-pipeline's baseline), as one input grows; the two are checked equal at each size first.
 */
function specCurve(name: string, summary: string, curve: Curve, sizes: readonly number[], envFor: (size: number) => Record<string, string>): Benchmark {
  return {
    name,
    summary,
    needsWorld: false,
    async run(ctx): Promise<BenchResult> {
      const points = await runCurve(ctx, sizes, async (size) => {
        const { app, cleanup } = await prepareBenchApp(envFor(size));
        const input = plainInputs(app);
        const planned = await planContainer(app, FACTS);
        assert.deepEqual(plainContainerSpec(input, FACTS), { body: planned.body, actions: planned.actions }, 'the plain baseline no longer builds what the plugins build');
        const calls = callsFor(size);
        return { baseline: perCall(calls, () => plainContainerSpec(input, FACTS)), subject: perCall(calls, () => planContainer(app, FACTS)), cleanup };
      });
      return curveResult(name, curve, points);
    },
  };
}

export const MOUNT_COUNTS = [1, 10, 50, 100, 200] as const;

export const mountsGrowthBench = specCurve(
  'mounts-growth',
  `planContainer with ${MOUNT_COUNTS.join(', ')} CODER_MOUNTS entries vs the same edits in a plain function`,
  { unit: 'mounts', baseline: 'plain edits', subject: 'planContainer' },
  MOUNT_COUNTS,
  (count) => ({
    ...FULL_ENV,
    CODER_MOUNTS: Array.from({ length: count }, (_, i) => (i === 0 ? '/home/coder:/home/coder' : `/data/vol${i}:/mnt/vol${i}${i % 3 === 0 ? ':ro' : ''}`)).join(','),
  }),
);

export const ENV_COUNTS = [10, 100, 1_000, 5_000] as const;

export const envGrowthBench = specCurve(
  'env-growth',
  `planContainer with ${ENV_COUNTS.join(', ')} env vars matched by CODER_INNER_ENVS (among as many that are not) vs the same edits in a plain function`,
  { unit: 'vars', baseline: 'plain edits', subject: 'planContainer' },
  ENV_COUNTS,
  (count) => {
    const env: Record<string, string> = { ...FULL_ENV, CODER_INNER_ENVS: 'MATCH_*,HELLO' };
    for (let i = 0; i < count; i++) {
      env[`MATCH_${i}`] = `value-${i}`;
      env[`OTHER_${i}`] = `value-${i}`;
    }
    return env;
  },
);

export const PASSWD_LINES = [100, 1_000, 10_000, 100_000] as const;
/** As the archive API delivers a file: in socket-sized chunks. */
const CHUNK_BYTES = 64 * 1024;

function passwdOf(lines: number): Buffer {
  const users = Array.from({ length: lines - 1 }, (_, i) => `user${i}:x:${10_000 + i}:${10_000 + i}:User ${i}:/home/user${i}:/bin/bash\n`);
  // The user last: the whole file has to be read.
  return Buffer.from(`${users.join('')}coder:x:1000:1000::/home/coder:/bin/bash\n`);
}

export const passwdGrowthBench: Benchmark = {
  name: 'passwd-growth',
  summary: `the user's entry from an image's /etc/passwd of ${PASSWD_LINES.join(', ')} lines (the user last), streamed in ${CHUNK_BYTES / 1024} KiB chunks with a cap vs parsed whole from one buffer`,
  needsWorld: false,
  async run(ctx): Promise<BenchResult> {
    const curve: Curve = { unit: 'lines', baseline: 'whole buffer', subject: 'stream + cap' };
    const points = await runCurve(ctx, PASSWD_LINES, async (lines) => {
      const bytes = passwdOf(lines);
      const chunks = Array.from({ length: Math.ceil(bytes.length / CHUNK_BYTES) }, (_, i) => bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
      async function* stream() { yield* chunks; }
      const expected = { uid: 1000, gid: 1000, home: '/home/coder' };
      assert.deepEqual(await findPasswdEntryInStream(stream(), 'coder'), expected);
      const calls = Math.max(3, Math.round(20_000 / lines));
      return {
        // What envbox did before: the whole file in memory, decoded, split.
        baseline: perCall(calls, () => findPasswdEntry(Buffer.concat(chunks).toString('utf8'), 'coder')),
        subject: perCall(calls, () => findPasswdEntryInStream(stream(), 'coder')),
      };
    });
    return curveResult('passwd-growth', curve, points, [`the ${PASSWD_LINES.at(-1)!.toLocaleString('en')}-line file is ${(passwdOf(PASSWD_LINES.at(-1)!).length / 2 ** 20).toFixed(1)} MiB; the stream reads at most 32 MiB and holds one line`]);
  },
};
