import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withEnv, withEnvs } from './edits.js';
import type { ContainerCreateBody } from './types.js';

const body = (env: string[]): ContainerCreateBody => Object.freeze({ Image: 'x', HostConfig: {}, Env: Object.freeze([...env]) as string[] });

describe('withEnvs', () => {
  it('gives what the same withEnv calls in a row give, duplicates and stale entries included', () => {
    const starts = [[], ['A=0', 'B=0'], ['A=0', 'C=1', 'A=stale', 'D'], ['B=0', 'B=1']];
    const edits: [string, string][][] = [
      [], [['A', '1']], [['A', '1'], ['B', '2'], ['A', '3']], [['E', '5'], ['D', 'd'], ['C', '']], [['B', 'x'], ['Z', 'z'], ['B', 'y']],
    ];
    for (const start of starts) {
      for (const edit of edits) {
        const oneByOne = edit.reduce((b, [name, value]) => withEnv(b, name, value), body(start));
        assert.deepEqual(withEnvs(body(start), edit).Env ?? [], oneByOne.Env ?? [], `${JSON.stringify(start)} + ${JSON.stringify(edit)}`);
      }
    }
  });

  it('does not change its input, and returns it as is when there is nothing to set', () => {
    const before = body(['A=1']);
    assert.deepEqual(withEnvs(before, [['A', '2']]).Env, ['A=2']);
    assert.deepEqual(before.Env, ['A=1']);
    assert.equal(withEnvs(before, []), before);
  });
});
