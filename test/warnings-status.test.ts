import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { EnvboxPlugin } from '../core/kernel/plugin.js';
import { runStatusCommand } from '../core/engine/status/command.js';
import { StatusTracker, type StatusFile } from '../core/engine/status/tracker.js';
import { startLifecycle } from './support/lifecycle-run.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-warnings-status-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Warns from a hook of each phase, in both ways a plugin has: `ctx.log.warn` and `ctx.buildLog.warn`. */
const warner: EnvboxPlugin = {
  name: 'site-warner',
  apply({ hooks }) {
    hooks.configure.tap((options, ctx) => {
      ctx.log.warn({ zone: 'eu-1' }, 'site-warner: configure warns before the status file exists');
      return options;
    });
    hooks.preDaemon.tap((daemon, ctx) => {
      ctx.log.warn('site-warner: the daemon phase warns through log.warn');
      return daemon;
    });
    hooks.containerSpec.tap((body, ctx) => {
      ctx.buildLog.warn('site-warner: containerSpec warns through buildLog.warn');
      ctx.log.warn({ reason: 'none left' }, 'site-warner: containerSpec warns through log.warn');
      return body;
    });
  },
};

/** A buildLog tap that fails on one line: the build log reports it as a warning. */
const brokenForwarder: EnvboxPlugin = {
  name: 'site-forwarder',
  apply({ hooks }) {
    hooks.buildLog.tap((entry) => {
      if (entry.output === 'Creating workspace...') throw new Error('forwarder down');
    });
  },
};

async function statusJson(path: string): Promise<StatusFile> {
  let out = '';
  await runStatusCommand(['--json', '--file', path], {}, { out: (text) => { out += text; }, err: () => undefined, now: () => Date.now() });
  return JSON.parse(out) as StatusFile;
}

describe('every warning, whoever gives it, is in the build log and in envbox status --json', () => {
  it('from plugin hooks (configure, preDaemon, containerSpec, buildLog) and from the core, in the order given', async () => {
    const path = join(root, 'status.json');
    const status = new StatusTracker(path);
    const run = await startLifecycle({}, { plugins: [warner, brokenForwarder], status, before: (docker) => docker.failures.set('stopContainer', new Error('no such container')) });
    const log = run.log;
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    assert.equal(await run.exit, 0);
    status.release();

    const expected = [
      'site-warner: configure warns before the status file exists (zone: eu-1)',
      'site-warner: the daemon phase warns through log.warn',
      // The build log says "Creating workspace..." before containerSpec runs.
      'plugin "site-forwarder" failed in hook "buildLog": forwarder down',
      'site-warner: containerSpec warns through buildLog.warn',
      'site-warner: containerSpec warns through log.warn (reason: none left)',
      // The core's own, from the stop.
      'stop container failed (error: no such container)',
    ];
    const warningLines = log.filter((e) => e.output.startsWith('Warning: ')).map((e) => e.output);
    assert.deepEqual(warningLines, expected.map((text) => `Warning: ${text}`));
    assert.deepEqual((await statusJson(path)).warnings, expected);
  });

  it('the status keeps each warning once', async () => {
    const twice: EnvboxPlugin = {
      name: 'site-twice',
      apply({ hooks }) {
        hooks.containerSpec.tap((body, ctx) => {
          ctx.log.warn('site-twice: said twice');
          ctx.buildLog.warn('site-twice: said twice');
          return body;
        });
      },
    };
    const path = join(root, 'twice.json');
    const status = new StatusTracker(path);
    const run = await startLifecycle({}, { plugins: [twice], status });
    const log = run.log;
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    await run.exit;
    status.release();
    assert.equal(log.filter((e) => e.output === 'Warning: site-twice: said twice').length, 2, 'the build log has every line');
    assert.deepEqual((await statusJson(path)).warnings, ['site-twice: said twice']);
  });
});

/** Lines that write the "Warning: " prefix by hand would skip `envbox status`; none is left. */
const HAND_WRITTEN_WARNINGS_LEFT: string[] = [];

describe('one way to warn', () => {
  it('no source writes a "Warning: " build-log line by hand but the build log itself', () => {
    const sources = execFileSync('git', ['ls-files', 'core', 'cli', 'plugins', 'testing', 'examples'], { encoding: 'utf8' })
      .split('\n').filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'core/kernel/build-log.ts');
    const byHand = sources.flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .filter((line) => /\.(info|error|done)\(\s*[`'"]Warning: /.test(line)).map(() => file));
    assert.deepEqual(byHand.sort(), [...HAND_WRITTEN_WARNINGS_LEFT].sort(), 'write buildLog.warn(text) instead: it adds "Warning: " and keeps the text for envbox status');
  });
});
