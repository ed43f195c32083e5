import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NodeHost } from '../core/engine/host/node-host.js';
import { findGpuLibraries } from '../plugins/gpu/libraries.js';
import { curveResult, runCurve, type Curve, type CurveSide } from './lib/growth.js';
import { makeLibTree } from './lib/lib-tree.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';

/** The last size is the headline: the 100,000 files. */
export const GPU_TREE_SIZES = [1_000, 10_000, 100_000] as const;

const CURVE: Curve = { unit: 'files', baseline: "find -name '*.so*'", subject: 'findGpuLibraries' };

export const gpuWalkBench: Benchmark = {
  name: 'gpu-walk',
  summary: `GPU driver discovery (findGpuLibraries) over a generated /usr/lib of ${GPU_TREE_SIZES.join(', ')} files vs find -name '*.so*' over the same tree`,
  needsWorld: false,
  async run(ctx): Promise<BenchResult> {
    const root = await mkdtemp(join(tmpdir(), 'envbox-bench-libs-'));
    const host = new NodeHost({});
    try {
      const points = await runCurve(ctx, GPU_TREE_SIZES, async (size) => {
        const began = performance.now();
        const tree = makeLibTree(join(root, String(size)), size);
        ctx.progress(`${size}: generated ${tree.files} files in ${tree.dirs} dirs in ${((performance.now() - began) / 1000).toFixed(1)} s`);
        const found = await findGpuLibraries(host, tree.root);
        assert.equal(found.paths.length, tree.gpuPaths, 'the walk no longer finds the GPU libraries the tree holds');
        const baseline: CurveSide = {
          async run() {
            const start = performance.now();
            await execa('find', [tree.root, '-name', '*.so*'], { stdout: 'ignore' });
            return performance.now() - start;
          },
        };
        const subject: CurveSide = {
          async run() {
            const start = performance.now();
            await findGpuLibraries(host, tree.root);
            return performance.now() - start;
          },
        };
        return { baseline, subject, cleanup: () => rm(tree.root, { recursive: true, force: true }) };
      });
      const last = points.at(-1)!;
      const filesPerSecond = (ms: number[]) => Math.round(last.size / (median(ms) / 1000));
      return curveResult('gpu-walk', CURVE, points, [
        `${last.size} files: findGpuLibraries ${filesPerSecond(last.subjectMs).toLocaleString('en')} files/s, find ${filesPerSecond(last.baselineMs).toLocaleString('en')} files/s (find's time includes its process start)`,
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};
