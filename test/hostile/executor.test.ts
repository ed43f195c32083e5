import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Action } from '../../core/actions.js';
import { NodeHost } from '../../core/host/node-host.js';
import { BuildLog } from '../../core/log/buildlog.js';
import { silentLogger } from '../../core/log/logger.js';
import { createActionRunner } from '../../core/perform-actions.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'envbox-hostile-exec-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const runner = () => createActionRunner(new NodeHost({}), silentLogger(), new BuildLog({ write: () => true }));

/**
 * The chown and chmod below ask for the owner and mode the target already has, so that a guard
 * that fails changes nothing on this machine: the test still sees that the action was not refused.
 */
async function sameAsNow(path: string): Promise<(Action & { kind: 'chown' | 'chmod' })[]> {
  const s = await stat(path);
  return [
    { kind: 'chown', path, uid: s.uid, gid: s.gid, plugin: 'site', hook: 'containerSpec' },
    { kind: 'chmod', path, mode: (s.mode & 0o7777).toString(8).padStart(4, '0'), plugin: 'site', hook: 'containerSpec' },
  ];
}

describe('hostile: the action executor never chowns or chmods / or a system dir, whoever declares it', () => {
  for (const target of ['/', '/etc', '/usr', '/var/lib', '/tmp']) {
    it(`refuses ${target} itself`, async () => {
      for (const action of await sameAsNow(target)) {
        await assert.rejects(runner().run([action]), new RegExp(`refusing to ${action.kind} ${target.replace(/\//g, '\\/')}: it is a system directory`));
      }
    });

    it(`refuses a symlink that leads to ${target}`, async () => {
      const link = join(dir, `link-to${target.replace(/\//g, '-')}`);
      await symlink(target, link);
      for (const action of await sameAsNow(target)) {
        await assert.rejects(runner().run([{ ...action, path: link }]), /\(a link to \/[a-z/]*\): it is a system directory of the outer container/);
      }
    });
  }

  it('still chowns an ordinary directory', async () => {
    const path = join(dir, 'ordinary');
    await runner().run([
      { kind: 'mkdir', path, mode: '0755', plugin: 'mounts', hook: 'containerSpec' },
      { kind: 'chown', path, uid: 4242, gid: 4343, plugin: 'site', hook: 'containerSpec' },
      { kind: 'chmod', path, mode: '0710', plugin: 'site', hook: 'containerSpec' },
    ]);
    const after = await stat(path);
    assert.deepEqual([after.uid, after.gid, (after.mode & 0o7777).toString(8)], [4242, 4343, '710']);
  });
});
