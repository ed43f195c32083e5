import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { escapeControlCharacters } from '../../core/kernel/control-chars.js';
import { SecretScrubber } from '../../core/kernel/scrub.js';
import { runStatusCommand, type StatusCommandIo } from '../../core/engine/status/command.js';
import { failureParagraph } from '../../core/engine/status/hints.js';
import { writeTerminationMessage } from '../../core/engine/status/termination.js';
import { StatusTracker } from '../../core/engine/status/tracker.js';
import { workspacePlugin } from '../../plugins/workspace/index.js';
import { FakeDocker, runPostStart, ubuntuFacts } from '../../testing/index.js';

const ESC = '\u001b';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const root = mkdtempSync(join(tmpdir(), 'envbox-escapes-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The image's passwd home and its mkdir's output, both with OSC 52 (clipboard), a title and a screen clear. */
async function imageControlledFailure(output = `mkdir: ${ESC}]0;owned-title${ESC}\\ cannot create\u009b2J\n`): Promise<unknown> {
  const home = `/home/x${ESC}]52;c;ZWNobyBwd25lZA==${ESC}\\${ESC}[2J`;
  const docker = new FakeDocker();
  docker.execAnswer = () => ({ exitCode: 1, output });
  try {
    await runPostStart([workspacePlugin()], { docker, facts: { ...ubuntuFacts, home } });
  } catch (error) {
    return error;
  }
  assert.fail('postStart should have failed');
}

describe('image-controlled text reaches humans without terminal escapes', () => {
  it('envbox status prints the failure and warnings of a workspace whose passwd home and mkdir output hold escapes, escaped', async () => {
    const path = join(root, 'status', 'status.json');
    const tracker = new StatusTracker(path);
    tracker.warn(`the workspace printed ${ESC}[31mred\u0007 and\nmore`);
    tracker.fail(failureParagraph(await imageControlledFailure()));
    const out: string[] = [];
    const io: StatusCommandIo = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, now: () => Date.now() };
    await runStatusCommand(['--file', path], {}, io);
    const printed = out.join('');
    assert.doesNotMatch(printed, CONTROL);
    assert.match(printed, /last error .*mkdir -p \/home\/x\\x1b\]52;c;ZWNobyBwd25lZA==\\x1b\\\\x1b\[2J\/\.coder .*\\x1b\]0;owned-title/);
    assert.match(printed, /warning .*\\x1b\[31mred\\x07 and\\x0amore/);
  });

  it('the failure paragraph, and so the termination message, holds no control character', async () => {
    const paragraph = failureParagraph(await imageControlledFailure());
    assert.doesNotMatch(paragraph, CONTROL);
    const termination = join(root, 'termination-log');
    writeTerminationMessage(termination, paragraph);
    assert.doesNotMatch(readFileSync(termination, 'utf8'), CONTROL);
  });

  it('the workspace error quotes a bounded part of the exec output', async () => {
    const message = (await imageControlledFailure('y'.repeat(1024 * 1024))) as Error;
    assert.ok(message.message.length < 1000, `${message.message.length} characters`);
    assert.match(message.message, /\.\.\. \(\d+ more characters\)$/);
  });

  it('escapes every C0 and C1 control character and DEL, keeps newline and tab only when asked, and is idempotent', () => {
    const all = Array.from({ length: 0xa0 }, (_, code) => String.fromCharCode(code)).join('');
    assert.doesNotMatch(escapeControlCharacters(all), CONTROL);
    assert.doesNotMatch(escapeControlCharacters(all), /[\n\t]/);
    assert.match(escapeControlCharacters('a\n\tb\u001b', { keepLayout: true }), /^a\n\tb\\x1b$/);
    const once = escapeControlCharacters(`x${ESC}[2J\\y`);
    assert.equal(escapeControlCharacters(once), once);
    assert.equal(escapeControlCharacters('plain ünïcode ✓'), 'plain ünïcode ✓');
  });

  it('a secret with a control character is still scrubbed from the escaped paragraph', () => {
    const scrubber = new SecretScrubber();
    scrubber.add(['pass\u0001word']);
    assert.equal(scrubber.scrub(failureParagraph(new Error('login pass\u0001word refused'))), 'login [redacted] refused');
  });
});
