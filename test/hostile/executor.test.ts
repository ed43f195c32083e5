import assert from 'node:assert/strict';
import { closeSync, constants, openSync } from 'node:fs';
import { lchown, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { Action } from '../../core/kernel/actions.js';
import { NodeHost } from '../../core/engine/host/node-host.js';
import { BuildLog } from '../../core/kernel/build-log.js';
import { silentLogger } from '../../core/engine/log/logger.js';
import { createActionRunner } from '../../core/engine/perform-actions.js';

const asRoot = process.getuid?.() === 0;
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
  for (const target of ['/', '/etc', '/usr', '/var/lib', '/tmp', '/opt', '/home']) {
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

  it('still chowns and chmods an ordinary directory', { skip: asRoot ? false : 'chown to another id needs root' }, async () => {
    const path = join(dir, 'ordinary');
    await runner().run([
      { kind: 'mkdir', path, mode: '0755', plugin: 'mounts', hook: 'containerSpec' },
      { kind: 'chown', path, uid: 100000, gid: 100001, plugin: 'mounts', hook: 'containerSpec' },
      { kind: 'chmod', path, mode: '02750', plugin: 'mounts', hook: 'containerSpec' },
    ]);
    const s = await stat(path);
    assert.deepEqual([s.uid, s.gid, s.mode & 0o7777], [100000, 100001, 0o2750]);
  });

  it('still chowns through a link an admin named (a mount source /data -> /mnt/disk), at the link\'s target', { skip: asRoot ? false : 'needs root' }, async () => {
    const real = join(dir, 'real-disk');
    const named = join(dir, 'named-data');
    await mkdir(real);
    await symlink(real, named);
    await runner().run([{ kind: 'chown', path: named, uid: 100000, gid: 100000, plugin: 'mounts', hook: 'containerSpec' }]);
    assert.equal((await stat(real)).uid, 100000);
  });
});

describe('hostile: mkdir never creates through a link into a system dir, whoever declares it', () => {
  const mkdirAction = (path: string): Action => ({ kind: 'mkdir', path, mode: '0755', plugin: 'site', hook: 'containerSpec' });
  const victim = `/etc/envbox-hostile-mkdir-${process.pid}`;
  after(async () => { await rm(victim, { recursive: true, force: true }); });

  it('refuses a missing path whose existing part is a link to /etc, and creates nothing there', async () => {
    const link = join(dir, 'mkdir-link-to-etc');
    await symlink('/etc', link);
    for (const path of [join(link, `envbox-hostile-mkdir-${process.pid}`), join(link, `envbox-hostile-mkdir-${process.pid}`, 'deeper')]) {
      await assert.rejects(runner().run([mkdirAction(path)]),
        /declared by plugin "site" in containerSpec\) failed: refusing to mkdir .*mkdir-link-to-etc\/envbox-hostile-mkdir-\d+(\/deeper)? \(a link to \/etc\/envbox-hostile-mkdir-\d+(\/deeper)?\): it lies in a system directory of the outer container/);
    }
    assert.equal(await lstat(victim).catch(() => null), null);
  });

  it('refuses a dangling link that points into a system dir', async () => {
    const link = join(dir, 'mkdir-dangling');
    await symlink(victim, link);
    await assert.rejects(runner().run([mkdirAction(join(link, 'x'))]), /refusing to mkdir .*mkdir-dangling\/x \(a link to \/etc\/envbox-hostile-mkdir-\d+\/x\): it lies in a system directory/);
    assert.equal(await lstat(victim).catch(() => null), null);
  });

  it('still creates a path named inside a system dir (a plugin\'s own, as the device dir /run/envbox) and one behind an ordinary link', async () => {
    const own = `/run/envbox-hostile-mkdir-${process.pid}/dev`;
    try {
      await runner().run([mkdirAction(own)]);
      assert.ok((await stat(own)).isDirectory());
    } finally {
      await rm(`/run/envbox-hostile-mkdir-${process.pid}`, { recursive: true, force: true });
    }
    const real = join(dir, 'mkdir-real');
    await mkdir(real);
    await symlink(real, join(dir, 'mkdir-ordinary-link'));
    await runner().run([mkdirAction(join(dir, 'mkdir-ordinary-link', 'a', 'b'))]);
    assert.ok((await stat(join(real, 'a', 'b'))).isDirectory());
  });
});

describe('hostile: the recursive owner shift is guarded like chown, after links are resolved', { skip: asRoot ? false : 'needs root' }, () => {
  let inSystemDir: string;
  before(async () => {
    // A directory of our own inside a system dir, so that a guard that fails changes nothing that matters.
    inSystemDir = await mkdtemp('/var/log/envbox-hostile-shift-');
    await writeFile(join(inSystemDir, 'file'), '');
    await lchown(join(inSystemDir, 'file'), 1000, 1000);
  });
  after(async () => { await rm(inSystemDir, { recursive: true, force: true }); });

  const shift = (path: string): Action => ({ kind: 'shiftOwners', path, offset: 100000, below: 65536, plugin: 'site', hook: 'containerSpec' });

  it('refuses a shift inside a system dir, whichever plugin declares it', async () => {
    await assert.rejects(runner().run([shift(inSystemDir)]), /refusing to shift owners in \/var\/log\/envbox-hostile-shift-\w+: it lies in a system directory of the outer container \(declared by plugin "site" in containerSpec\)|refusing to shift owners in .*: it lies in a system directory/);
    assert.equal((await lstat(join(inSystemDir, 'file'))).uid, 1000);
  });

  it('refuses a shift of a link that leads into a system dir', async () => {
    const link = join(dir, 'link-into-var-log');
    await symlink(inSystemDir, link);
    await assert.rejects(runner().run([shift(link)]), /refusing to shift owners in .*link-into-var-log \(a link to \/var\/log\/envbox-hostile-shift-\w+\): it lies in a system directory/);
    assert.equal((await lstat(join(inSystemDir, 'file'))).uid, 1000);
  });

  it('refuses a chown or chmod of a link that leads inside a system dir (a link swapped in after the plan)', async () => {
    const link = join(dir, 'chown-link-into-var-log');
    await symlink(inSystemDir, link);
    for (const action of await sameAsNow(inSystemDir)) {
      await assert.rejects(runner().run([{ ...action, path: link }]), new RegExp(`refusing to ${action.kind} .*chown-link-into-var-log \\(a link to /var/log/envbox-hostile-shift-\\w+\\): it lies in a system directory`));
    }
  });

  it('refuses a shift of / or a system dir itself', async () => {
    for (const path of ['/', '/etc', '/var/lib']) {
      await assert.rejects(runner().run([shift(path)]), /refusing to shift owners in \/[a-z/]*: it is a system directory of the outer container/);
    }
  });
});

describe('hostile: writes by actions into places the workspace can write replace, never write through', () => {
  let outside: string;
  let fifo: string;
  before(async () => {
    outside = join(dir, 'outside-precious');
    await writeFile(outside, 'precious');
    fifo = join(dir, 'a-fifo');
    await execa('mkfifo', [fifo]);
  });
  after(() => {
    try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader left */ }
  });

  it('writeFile onto a symlink to a file outside replaces the link', async () => {
    const target = join(dir, 'write-here');
    await symlink(outside, target);
    await runner().run([{ kind: 'writeFile', path: target, content: 'ours', plugin: 'site', hook: 'containerSpec' }]);
    assert.equal(await readFile(outside, 'utf8'), 'precious');
    assert.ok((await lstat(target)).isFile());
  });

  it('copyFile onto a symlink to a file outside replaces the link', async () => {
    const from = join(dir, 'ca.pem');
    await writeFile(from, 'CA');
    const target = join(dir, 'copy-here');
    await symlink(outside, target);
    await runner().run([{ kind: 'copyFile', from, to: target, mode: '0644', plugin: 'certs', hook: 'preDaemon' }]);
    assert.equal(await readFile(outside, 'utf8'), 'precious');
    assert.equal(await readFile(target, 'utf8'), 'CA');
  });

  it('copyFile from a FIFO is refused without blocking', { timeout: 20_000 }, async () => {
    await assert.rejects(runner().run([{ kind: 'copyFile', from: fifo, to: join(dir, 'never'), mode: '0644', plugin: 'certs', hook: 'preDaemon' }]),
      /a-fifo is a FIFO, not a regular file; envbox leaves it alone/);
  });
});
