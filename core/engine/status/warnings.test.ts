import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BuildLog, MAX_KEPT_WARNING_CHARS, MAX_KEPT_WARNINGS } from '../../kernel/build-log.js';
import { SecretScrubber } from '../../kernel/scrub.js';
import { describeStatus } from './command.js';
import { readStatus, StatusTracker } from './tracker.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-warnings-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('warnings in the build log and in envbox status', () => {
  it('buildLog.warn writes one "Warning: " line, scrubbed, and hands the text to its listeners', () => {
    const lines: string[] = [];
    const secrets = new SecretScrubber();
    secrets.add(['hunter2']);
    const log = new BuildLog({ write: (t: string) => lines.push(t) }, () => new Date(0), secrets);
    const heard: string[] = [];
    log.onWarning((text) => heard.push(text));
    log.warn('limits not enforced (token hunter2)');
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), { output: 'Warning: limits not enforced (token [redacted])', time: '1970-01-01T00:00:00.000Z', type: 'info' });
    assert.deepEqual(heard, ['limits not enforced (token [redacted])']);
  });

  it('a listener that comes later (the status file) hears the warnings given before it, each once, and at most MAX_KEPT_WARNINGS', () => {
    const log = new BuildLog({ write: () => true }, () => new Date(0));
    log.warn('early');
    log.warn('early');
    const heard: string[] = [];
    log.onWarning((text) => heard.push(text));
    for (let i = 0; i < MAX_KEPT_WARNINGS + 5; i++) log.warn(`late ${i}`);
    assert.deepEqual(heard.slice(0, 2), ['early', 'late 0']);
    assert.equal(heard.length, MAX_KEPT_WARNINGS);
  });

  it('a long warning is kept cut, so that 50 of them cannot make the status file too big for envbox status', async () => {
    const log = new BuildLog({ write: () => true }, () => new Date(0));
    const path = join(root, 'long-warnings.json');
    const tracker = new StatusTracker(path);
    tracker.enter('creating');
    log.onWarning((text) => tracker.warn(text));
    for (let i = 0; i < MAX_KEPT_WARNINGS; i++) log.warn(`${i} ${'w'.repeat(100_000)}`);
    const status = await readStatus(path);
    assert.equal(status.warnings.length, MAX_KEPT_WARNINGS);
    assert.ok(status.warnings.every((w) => w.length < MAX_KEPT_WARNING_CHARS + 64 && /more characters\)$/.test(w)));
  });

  it('the status file keeps each warning once, and envbox status shows them', async () => {
    const path = join(root, 'status.json');
    const tracker = new StatusTracker(path);
    tracker.enter('creating');
    tracker.warn('CODER_CPUS=2 not enforced on the workspace');
    tracker.warn('CODER_CPUS=2 not enforced on the workspace');
    const status = await readStatus(path);
    assert.deepEqual(status.warnings, ['CODER_CPUS=2 not enforced on the workspace']);
    assert.match(describeStatus(status, Date.now()), /\n {2}warning +CODER_CPUS=2 not enforced on the workspace\n/);
  });

  it('a status file written before warnings existed still reads, with none', async () => {
    const path = join(root, 'old.json');
    const old = new StatusTracker(null).snapshot() as unknown as Record<string, unknown>;
    delete old.warnings;
    writeFileSync(path, JSON.stringify(old));
    assert.deepEqual((await readStatus(path)).warnings, []);
  });
});
