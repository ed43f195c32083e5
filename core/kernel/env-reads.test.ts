import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inTap, recordingEnvReads, undeclaredEnvWarnings } from './env-reads.js';

describe('recordingEnvReads', () => {
  it('records reads made inside a tap, across awaits, and none outside one', async () => {
    const reads = await recordingEnvReads({ A: '1' }, async (seen) => {
      void process.env.OUTSIDE;
      await inTap({ plugin: 'p', hook: 'containerSpec' }, async () => {
        void process.env.A;
        await new Promise((resolve) => setImmediate(resolve));
        void ('B' in process.env);
      });
      return [...seen];
    });
    assert.deepEqual(reads.map((r) => `${r.plugin}/${r.hook}:${r.name}`), ['p/containerSpec:A', 'p/containerSpec:B']);
  });

  it('gives the work the env it was handed, and the real process.env back even when the work throws', async () => {
    const real = process.env;
    await assert.rejects(recordingEnvReads({ ONLY_HERE: 'x' }, async () => {
      assert.equal(process.env.ONLY_HERE, 'x');
      assert.equal(process.env.PATH, undefined);
      throw new Error('boom');
    }), /boom/);
    assert.equal(process.env, real);
  });
});

describe('undeclaredEnvWarnings', () => {
  it('skips declared inputs and the names every process has, and warns once per plugin and name', () => {
    const read = (plugin: string, name: string) => ({ plugin, hook: 'configure', name });
    const warnings = undeclaredEnvWarnings(
      [read('a', 'SITE_X'), read('a', 'SITE_X'), read('b', 'SITE_X'), read('a', 'CODER_CPUS'), read('a', 'PATH'), read('a', 'https_proxy'), read('a', 'NODE_OPTIONS')],
      new Set(['CODER_CPUS']),
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^plugin "a" read process\.env\.SITE_X in configure/);
    assert.match(warnings[1]!, /^plugin "b" read process\.env\.SITE_X/);
  });
});
