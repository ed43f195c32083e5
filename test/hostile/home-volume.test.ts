import assert from 'node:assert/strict';
import { closeSync, constants, openSync, renameSync, symlinkSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { execa } from 'execa';
import { ID_RANGE_SIZE, SHIFT_MARKER, shiftOwners } from '../../core/engine/shift-owners.js';

/**
 * The :chown walk over a home volume the workspace user owns, and has filled with traps: links, FIFOs,
 * devices and huge files where envbox's marker goes, and directories swapped for links mid-walk.
 * Each must leave everything outside the tree as it was, and the walk must end.
 */
const asRoot = process.getuid?.() === 0;
const owner = async (path: string) => { const s = await lstat(path); return `${s.uid}:${s.gid}`; };

describe('hostile: the :chown walk over a home volume the user filled with traps', { skip: asRoot ? false : 'lchown to other ids needs root (CI runs as root)' }, () => {
  const bases: string[] = [];
  const fifos: string[] = [];
  afterEach(() => {
    // A failing (old) walk blocked on a FIFO would keep the process alive: open it for writing to release it.
    for (const fifo of fifos.splice(0)) {
      try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ }
    }
  });
  after(async () => { for (const base of bases) await rm(base, { recursive: true, force: true }); });

  /** A home with one user file (uid 1000) and a file outside it (uid 1000, mode 0644) that must never change. */
  async function home() {
    const base = await mkdtemp(join(tmpdir(), 'envbox-hostile-home-'));
    bases.push(base);
    const tree = join(base, 'home');
    const outside = join(base, 'outside');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(tree, 'sub', 'victim'), 'mine');
    await writeFile(join(outside, 'victim'), 'precious');
    for (const path of [tree, join(tree, 'sub'), join(tree, 'sub', 'victim'), outside, join(outside, 'victim')]) await lchown(path, 1000, 1000);
    await chmod(join(outside, 'victim'), 0o644);
    const lines: string[] = [];
    const request = { path: tree, offset: 100000, below: ID_RANGE_SIZE };
    return { base, tree, outside, lines, request, progress: (line: string) => lines.push(line) };
  }

  it('a symlink .envbox-owners -> a file outside: that file is neither read as the marker nor overwritten; the marker replaces the link', async () => {
    const h = await home();
    await symlink(join(h.outside, 'victim'), join(h.tree, SHIFT_MARKER));
    const outcome = await shiftOwners(h.request, h.progress);
    assert.equal(outcome.skipped, null);
    assert.equal(await readFile(join(h.outside, 'victim'), 'utf8'), 'precious');
    assert.equal(await owner(join(h.outside, 'victim')), '1000:1000');
    const marker = await lstat(join(h.tree, SHIFT_MARKER));
    assert.ok(marker.isFile(), 'the link was replaced by envbox\'s own file');
    assert.equal(`${marker.uid}:${marker.gid}`, '100000:100000');
    assert.ok(h.lines.some((l) => /^Ignoring .*\.envbox-owners: it is a symbolic link, not a regular file; it will be replaced after the walk$/.test(l)), h.lines.join('\n'));
  });

  it('a symlink .envbox-owners -> a forged marker outside does not skip the walk', async () => {
    const h = await home();
    const forged = join(h.outside, 'forged');
    await writeFile(forged, JSON.stringify({ offset: 100000, below: ID_RANGE_SIZE, entries: 1, at: 'then' }));
    await symlink(forged, join(h.tree, SHIFT_MARKER));
    await lchown(join(h.tree, SHIFT_MARKER), 101000, 101000);
    await lchown(h.tree, 101000, 101000); // the top looks shifted
    await lchown(join(h.tree, 'sub'), 101000, 101000);
    const outcome = await shiftOwners(h.request, h.progress);
    assert.equal(outcome.skipped, null);
    assert.equal(await owner(join(h.tree, 'sub', 'victim')), '101000:101000');
  });

  it('a FIFO at .envbox-owners: the walk neither blocks on it nor writes into it, and ends', { timeout: 20_000 }, async () => {
    const h = await home();
    const fifo = join(h.tree, SHIFT_MARKER);
    await execa('mkfifo', [fifo]);
    fifos.push(fifo);
    const outcome = await shiftOwners(h.request, h.progress);
    assert.equal(outcome.skipped, null);
    assert.ok((await lstat(fifo)).isFile(), 'replaced by envbox\'s own marker');
    assert.ok(h.lines.some((l) => /it is a FIFO, not a regular file/.test(l)), h.lines.join('\n'));
  });

  it('a character device at .envbox-owners is never opened, and is replaced', async () => {
    const h = await home();
    await execa('mknod', [join(h.tree, SHIFT_MARKER), 'c', '1', '3']);
    await shiftOwners(h.request, h.progress);
    assert.ok((await lstat(join(h.tree, SHIFT_MARKER))).isFile());
    assert.ok(h.lines.some((l) => /it is a character device, not a regular file/.test(l)), h.lines.join('\n'));
  });

  it('a huge .envbox-owners is not read whole (the marker read is bounded)', async () => {
    const h = await home();
    await writeFile(join(h.tree, SHIFT_MARKER), '');
    await truncate(join(h.tree, SHIFT_MARKER), 4 * 1024 ** 3); // sparse 4 GiB
    const outcome = await shiftOwners(h.request, h.progress);
    assert.equal(outcome.skipped, null);
    assert.ok(h.lines.some((l) => /it is larger than 4096 bytes/.test(l)), h.lines.join('\n'));
    assert.ok((await lstat(join(h.tree, SHIFT_MARKER))).size < 4096);
  });

  it('a directory swapped for a link to outside after lstat saw it is not walked into', async () => {
    const h = await home();
    const outcome = await shiftOwners(h.request, h.progress, {
      beforeChange: (path) => {
        if (path !== join(h.tree, 'sub')) return;
        renameSync(path, join(h.tree, 'sub-moved'));
        symlinkSync(h.outside, path);
      },
    });
    assert.equal(outcome.skipped, null);
    assert.equal(await owner(join(h.outside, 'victim')), '1000:1000', 'nothing outside changed');
    assert.equal(await owner(h.outside), '1000:1000');
    assert.ok(h.lines.some((l) => /^Left 1 entry in .*home unshifted: .*home\/sub \(stopped being a directory while envbox walked it\)$/.test(l)), h.lines.join('\n'));
  });

  it('a parent directory swapped for a link to outside while envbox is inside it cannot redirect a chown', async () => {
    const h = await home();
    await shiftOwners(h.request, h.progress, {
      beforeChange: (path) => {
        if (path !== join(h.tree, 'sub', 'victim')) return;
        renameSync(join(h.tree, 'sub'), join(h.tree, 'sub-moved'));
        symlinkSync(h.outside, join(h.tree, 'sub'));
      },
    });
    assert.equal(await owner(join(h.outside, 'victim')), '1000:1000', 'the file outside kept its owner');
    assert.equal(await owner(join(h.tree, 'sub-moved', 'victim')), '101000:101000', 'the file envbox saw was shifted where it went');
  });

  it('a setuid file swapped for a link to a file outside: the mode is restored on neither (no chmod by path)', async () => {
    const h = await home();
    const tool = join(h.tree, 'setuid-tool');
    await writeFile(tool, '');
    await lchown(tool, 1000, 1000);
    await chmod(tool, 0o4755);
    await shiftOwners(h.request, h.progress, {
      beforeChange: (path) => {
        if (path !== tool) return;
        renameSync(tool, `${tool}-moved`);
        symlinkSync(join(h.outside, 'victim'), tool);
      },
    });
    const outside = await lstat(join(h.outside, 'victim'));
    assert.equal(outside.mode & 0o7777, 0o644, 'the file outside did not become setuid');
    assert.equal(`${outside.uid}:${outside.gid}`, '1000:1000');
  });

  it('a symlink to /etc and a FIFO inside the tree: only the entries themselves are shifted', { timeout: 20_000 }, async () => {
    const h = await home();
    await symlink('/etc', join(h.tree, 'etc-link'));
    await execa('mkfifo', [join(h.tree, 'sub', 'pipe')]);
    fifos.push(join(h.tree, 'sub', 'pipe'));
    await lchown(join(h.tree, 'sub', 'pipe'), 1000, 1000);
    const etcBefore = await owner('/etc');
    await shiftOwners(h.request, h.progress);
    assert.equal(await owner('/etc'), etcBefore);
    assert.equal(await owner(join(h.tree, 'etc-link')), '100000:100000');
    assert.equal(await owner(join(h.tree, 'sub', 'pipe')), '101000:101000');
  });
});
