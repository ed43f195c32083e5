import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { median, percentile, ratio, summarize } from './stats.js';
import { interleave } from './interleave.js';

describe('stats', () => {
  test('median of odd and even counts, unsorted input untouched', () => {
    const samples = [5, 1, 3];
    assert.equal(median(samples), 3);
    assert.deepEqual(samples, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  test('p90 is the nearest rank', () => {
    const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    assert.equal(percentile(ten, 90), 9);
    assert.equal(percentile(ten, 100), 10);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7], 90), 7);
    assert.equal(percentile([42], 90), 42);
  });

  test('ratio is subject over baseline, of medians', () => {
    assert.equal(ratio([1, 2, 100], [4, 4, 4]), 0.5);
    assert.deepEqual(summarize([3, 1, 2]), { medianMs: 2, p90Ms: 3, n: 3 });
  });
});

describe('interleave', () => {
  test('runs A B A B, drops the warm-up rounds, keeps each side\'s samples apart', async () => {
    const calls: string[] = [];
    const result = await interleave({ rounds: 2, warmup: 1 },
      async (r) => { calls.push(`A${r}`); return 100 + r; },
      async (r) => { calls.push(`B${r}`); return 200 + r; });
    assert.deepEqual(calls, ['A-1', 'B-1', 'A0', 'B0', 'A1', 'B1']);
    assert.deepEqual(result, { baseline: [100, 101], subject: [200, 201] });
  });
});
