import assert from 'node:assert/strict';
import { closeSync, constants, openSync } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { openPathNoFollowSync, openRegularNoFollow, readBounded, UnsafeFileError, writeReplacing, writeReplacingSync, type ReplaceOptions } from './safe-files.js';

const asRoot = process.getuid?.() === 0;
let dir: string;
let outside: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envbox-safe-files-'));
  outside = join(dir, 'outside-secret');
  await writeFile(outside, 'precious');
  await execa('mkfifo', [join(dir, 'fifo')]);
  await symlink(outside, join(dir, 'link-out'));
  await mkdir(join(dir, 'a-dir'));
});
after(async () => {
  // Releases a reader that a failing run left blocked on the FIFO, so the process can end.
  try { closeSync(openSync(join(dir, 'fifo'), constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ }
  await rm(dir, { recursive: true, force: true });
});

const unsafe = (pattern: RegExp) => (error: unknown) => error instanceof UnsafeFileError && pattern.test(error.message);

describe('openRegularNoFollow / readBounded: a file in a user-controlled place', () => {
  it('reads a regular file', async () => {
    assert.equal((await readBounded(outside, 100)).toString(), 'precious');
  });

  it('refuses a symlink (to a file outside), without reading its target', async () => {
    await assert.rejects(readBounded(join(dir, 'link-out'), 100), unsafe(/link-out is a symbolic link, not a regular file; envbox leaves it alone/));
  });

  it('refuses a FIFO without blocking on it', async () => {
    await assert.rejects(readBounded(join(dir, 'fifo'), 100), unsafe(/fifo is a FIFO, not a regular file/));
  });

  it('refuses a directory', async () => {
    await assert.rejects(openRegularNoFollow(join(dir, 'a-dir')), unsafe(/is a directory/));
  });

  it('refuses a device node without opening it', { skip: asRoot ? false : 'mknod needs root' }, async () => {
    const zero = join(dir, 'zero');
    await execa('mknod', [zero, 'c', '1', '5']);
    await assert.rejects(readBounded(zero, 100), unsafe(/zero is a character device, not a regular file/));
  });

  it('refuses a file larger than the bound, reading no more than the bound + 1 bytes', async () => {
    const huge = join(dir, 'huge');
    await writeFile(huge, '');
    await truncate(huge, 8 * 1024 ** 3); // sparse: 8 GiB that would never fit in memory
    await assert.rejects(readBounded(huge, 4096), unsafe(/huge is larger than 4096 bytes/));
  });

  it('follows a link only when asked (an admin\'s path, such as a Kubernetes secret), and still refuses a FIFO behind it', async () => {
    assert.equal((await readBounded(join(dir, 'link-out'), 100, { follow: true })).toString(), 'precious');
    await symlink(join(dir, 'fifo'), join(dir, 'link-fifo'));
    await assert.rejects(readBounded(join(dir, 'link-fifo'), 100, { follow: true }), unsafe(/is a FIFO/));
  });
});

const replacingWriters: Array<[string, (path: string, content: string, options?: ReplaceOptions) => Promise<void>]> = [
  ['writeReplacing', writeReplacing],
  // The twin for writers on exit paths (status file, ready marker): the same rule, checked by the same cases.
  ['writeReplacingSync', async (path, content, options) => writeReplacingSync(path, content, options)],
];

for (const [name, write] of replacingWriters) describe(`${name}: a write where the user may have left something`, () => {
  it('replaces a symlink to a file outside, leaving that file as it was', async () => {
    const target = join(dir, `${name}-w-link`);
    await symlink(outside, target);
    await write(target, 'ours', { mode: 0o640 });
    assert.equal(await readFile(outside, 'utf8'), 'precious');
    const s = await lstat(target);
    assert.ok(s.isFile());
    assert.equal(s.mode & 0o7777, 0o640);
    assert.equal(await readFile(target, 'utf8'), 'ours');
  });

  it('replaces a FIFO without blocking on it', async () => {
    const target = join(dir, `${name}-w-fifo`);
    await execa('mkfifo', [target]);
    await write(target, 'ours');
    assert.ok((await lstat(target)).isFile());
  });

  it('replaces a hard link to a file outside instead of writing through it', async () => {
    const target = join(dir, `${name}-w-hardlink`);
    await link(outside, target);
    await write(target, 'ours');
    assert.equal(await readFile(outside, 'utf8'), 'precious');
    assert.equal((await stat(outside)).nlink, 1);
  });

  it('sets the owner through the descriptor, and leaves no temp file behind', { skip: asRoot ? false : 'chown needs root' }, async () => {
    const target = join(dir, `${name}-w-owned`);
    await write(target, 'ours', { uid: 100000, gid: 100001 });
    const s = await lstat(target);
    assert.deepEqual([s.uid, s.gid], [100000, 100001]);
    assert.deepEqual((await readdir(dir)).filter((entry) => entry.includes('.envbox-')), []);
  });

  it('fails on a directory at the target, and removes its temp file', async () => {
    await assert.rejects(write(join(dir, 'a-dir'), 'ours'), /EISDIR|ENOTDIR|EEXIST|ENOTEMPTY/);
    assert.deepEqual((await readdir(dir)).filter((entry) => entry.includes('.envbox-')), []);
  });
});

describe('openPathNoFollowSync: a path whose links were resolved, opened one component at a time', () => {
  it('opens a resolved path', () => {
    const { fd, stat: s } = openPathNoFollowSync(join(dir, 'a-dir'));
    closeSync(fd);
    assert.ok(s.isDirectory());
  });

  it('refuses a path that passes through or ends in a link (one swapped in after realpath)', async () => {
    await mkdir(join(dir, 'was-a-dir'));
    await rename(join(dir, 'was-a-dir'), join(dir, 'moved-away'));
    await symlink('/etc', join(dir, 'was-a-dir'));
    assert.throws(() => openPathNoFollowSync(join(dir, 'was-a-dir', 'passwd')), (error: unknown) => {
      const e = error as NodeJS.ErrnoException;
      return e.code === 'ENOTDIR' || (error instanceof UnsafeFileError && /symbolic link/.test(error.message));
    });
    assert.throws(() => openPathNoFollowSync(join(dir, 'was-a-dir')), unsafe(/was-a-dir, which became a symbolic link/), 'a link as the last component too');
  });
});
