import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curveResult, curveTable, runCurve } from './growth.js';

const curve = { unit: 'mounts', baseline: 'plain', subject: 'hooks' };

describe('growth curves', () => {
  it('runs baseline and subject alternately at every size, warm-up dropped', async () => {
    const order: string[] = [];
    const points = await runCurve({ rounds: 2, warmup: 1, world: () => Promise.reject(new Error('no world')), progress: () => undefined }, [1, 5], async (size) => ({
      baseline: { run: async () => { order.push(`b${size}`); return size; } },
      subject: { run: async () => { order.push(`s${size}`); return size * 2; } },
    }));
    assert.deepEqual(order, ['b1', 's1', 'b1', 's1', 'b1', 's1', 'b5', 's5', 'b5', 's5', 'b5', 's5']);
    assert.deepEqual(points, [{ size: 1, baselineMs: [1, 1], subjectMs: [2, 2] }, { size: 5, baselineMs: [5, 5], subjectMs: [10, 10] }]);
  });

  it('tabulates medians, ratios and the cost per unit, and heads the result with the largest size', () => {
    const points = [{ size: 1, baselineMs: [1, 3, 2], subjectMs: [4, 4, 4] }, { size: 200, baselineMs: [10], subjectMs: [5] }];
    assert.deepEqual(curveTable(curve, points), [
      'mounts  plain ms  hooks ms  ratio  µs per mount',
      '     1      2.00      4.00  2.00x       4000.00',
      '   200     10.00      5.00  0.50x         25.00',
    ]);
    const result = curveResult('x', curve, points);
    assert.deepEqual(result.subject.samplesMs, [5]);
    assert.match(result.subject.label, /200 mounts/);
  });
});
