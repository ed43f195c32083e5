import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnvboxPlugin } from '../core/kernel/plugin.js';
import { startLifecycle } from './support/lifecycle-run.js';

/** Records how many build-log lines had been written when each of its hooks ran. */
function watcher(seen: Array<[string, number, number?]>, lines: () => number): EnvboxPlugin {
  return {
    name: 'site-watcher',
    apply({ hooks }) {
      hooks.shutdown.tap(() => { seen.push(['shutdown', lines()]); });
      hooks.failed.tap(() => { seen.push(['failed', lines()]); });
      hooks.exit.tap((ctx) => { seen.push(['exit', lines(), ctx.code]); });
    },
  };
}

describe('the exit hook: last, after the final build-log line', () => {
  it('on SIGTERM it runs after `stopped in …`, with code 0', async () => {
    const seen: Array<[string, number, number?]> = [];
    let count = () => 0;
    const run = await startLifecycle({ CODER_BOOTSTRAP_SCRIPT: 'echo hi' }, { plugins: [watcher(seen, () => count())] });
    count = () => run.log.length;
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    assert.equal(await run.exit, 0);
    assert.match(run.log.at(-1)?.output ?? '', /^stopped in /);
    assert.deepEqual(seen.map(([hook]) => hook), ['shutdown', 'exit']);
    assert.deepEqual(seen.at(-1), ['exit', run.log.length, 0], 'no line after the exit hook');
    assert.ok(seen[0]![1] < run.log.length, 'the shutdown hooks run before the last lines');
  });

  it('on a failure it runs after the error line and the cleanup, with code 1', async () => {
    const seen: Array<[string, number, number?]> = [];
    let count = () => 0;
    const run = await startLifecycle({}, { plugins: [watcher(seen, () => count())], before: (_docker, launcher) => { launcher.failure = new Error('dockerd is not installed'); } });
    count = () => run.log.length;
    assert.equal(await run.exit, 1);
    assert.deepEqual(seen.map(([hook]) => hook), ['failed', 'exit']);
    assert.deepEqual(seen.at(-1), ['exit', run.log.length, 1]);
  });
});
