import assert from 'node:assert/strict';
import { chmod, link, lchown, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeShift, ID_RANGE_SIZE, SHIFT_MARKER, shiftedId, shiftOwners, type ShiftRequest } from './shift-owners.js';

const asRoot = process.getuid?.() === 0;
const owner = async (path: string) => { const s = await lstat(path); return `${s.uid}:${s.gid}`; };

describe('shiftedId', () => {
  const request: ShiftRequest = { path: '/x', offset: 100000, below: ID_RANGE_SIZE };
  it('moves ids below the range size up by the offset, and leaves shifted and foreign ids alone', () => {
    assert.deepEqual([0, 1000, 65535, 65536, 99999, 100000, 101000, 165535, 200000].map((id) => shiftedId(id, request)),
      [100000, 101000, 165535, 65536, 99999, 100000, 101000, 165535, 200000]);
  });
  it('never shifts an id at or above a small offset (it would land inside the range twice)', () => {
    assert.deepEqual([0, 999, 1000, 5000].map((id) => shiftedId(id, { ...request, offset: 1000 })), [1000, 1999, 1000, 5000]);
  });
});

describe('shiftOwners on a real tree', { skip: asRoot ? false : 'lchown to other ids needs root (CI runs as root)' }, () => {
  let base: string;
  let tree: string;
  let outside: string;
  const request = () => ({ path: tree, offset: 100000, below: ID_RANGE_SIZE });

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'envbox-shift-'));
    tree = join(base, 'home');
    outside = join(base, 'outside');
    await mkdir(join(tree, '.config', 'deep'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'x');
    await lchown(join(outside, 'secret'), 1000, 1000);
    await writeFile(join(outside, 'shared'), 'x');
    await lchown(join(outside, 'shared'), 1000, 1000);
    const files: [string, number, number][] = [
      ['.bashrc', 1000, 1000], ['.config/deep/a', 1000, 1000], ['rootfile', 0, 0], ['mixed', 1000, 200000],
      ['already', 101000, 101000], ['foreign', 300000, 300000], ['setuid-tool', 1000, 1000], ['linked', 1000, 1000],
    ];
    for (const [name, uid, gid] of files) {
      await writeFile(join(tree, name), name);
      await lchown(join(tree, name), uid, gid);
    }
    await chmod(join(tree, 'setuid-tool'), 0o4755);
    for (const dir of ['', '.config', '.config/deep']) await lchown(join(tree, dir), 1000, 1000);
    await link(join(tree, 'linked'), join(tree, '.config', 'linked-again'));
    await link(join(outside, 'shared'), join(tree, 'shared-with-outside'));
    await symlink(join(outside, 'secret'), join(tree, 'to-outside'));
    await lchown(join(tree, 'to-outside'), 1000, 1000);
    await symlink(outside, join(tree, 'dir-outside'));
  });
  after(async () => { if (base) await rm(base, { recursive: true, force: true }); });

  it('shifts ids below the range, follows no symlink, shifts a hard link once, and leaves a file with an outside name', async () => {
    const lines: string[] = [];
    const outcome = await shiftOwners(request(), (l) => lines.push(l));
    assert.equal(outcome.skipped, null);
    assert.deepEqual(
      await Promise.all(['', '.bashrc', '.config/deep', '.config/deep/a', 'rootfile', 'mixed', 'already', 'foreign', 'linked', '.config/linked-again', 'to-outside'].map((p) => owner(join(tree, p)))),
      ['101000:101000', '101000:101000', '101000:101000', '101000:101000', '100000:100000', '101000:200000', '101000:101000', '300000:300000', '101000:101000', '101000:101000', '101000:101000'],
    );
    assert.equal((await lstat(join(tree, 'setuid-tool'))).mode & 0o7777, 0o4755, 'setuid survives the chown');
    assert.equal(await owner(join(outside, 'secret')), '1000:1000', 'the symlink\'s target outside the tree is untouched');
    assert.equal(await owner(join(outside, 'shared')), '1000:1000', 'a hard link with a name outside the tree is left');
    assert.equal(await owner(join(tree, 'shared-with-outside')), '1000:1000');
    assert.ok(lines.some((l) => /1 hard-linked file\(s\) .* unshifted: they also have names outside it/.test(l)), lines.join('\n'));
    // 3 dirs + 8 files + 1 extra name of `linked` + the outside-shared link + 2 symlinks
    assert.equal(outcome.checked, 15);
    assert.equal(outcome.shifted, 11, "the symlink dir-outside, made by root, is shifted to 100000 too");
    assert.match(describeShift(request(), outcome), /^Shifted owners in .*: 15 entries checked, 11 shifted, in \d+\.\d\d s \(\d+ entries\/s\)$/);
    const marker = JSON.parse(await readFile(join(tree, SHIFT_MARKER), 'utf8'));
    assert.deepEqual({ offset: marker.offset, below: marker.below, entries: marker.entries }, { offset: 100000, below: 65536, entries: 15 });
    assert.equal(await owner(join(tree, SHIFT_MARKER)), '100000:100000');
  });

  it('skips the walk on a second start, and says why', async () => {
    const outcome = await shiftOwners(request(), () => assert.fail('no progress on a skipped walk'));
    assert.match(outcome.skipped ?? '', /^shifted for offset 100000 on .* \(15 entries; \.envbox-owners records it\), and nothing at its top needs shifting$/);
    assert.equal(outcome.checked, 0);
  });

  it('reports progress with the entries done and the rate on a walk that takes a while', async () => {
    const fresh = join(base, 'progress');
    for (let i = 0; i < 6; i++) {
      await mkdir(join(fresh, `d${i}`), { recursive: true });
      await lchown(join(fresh, `d${i}`), 1000, 1000);
    }
    let clock = 0;
    const lines: string[] = [];
    await shiftOwners({ ...request(), path: fresh }, (l) => lines.push(l), { now: () => (clock += 1000), batch: 2 });
    assert.ok(lines.length >= 2, lines.join('\n'));
    assert.match(lines[0]!, /^Shifting owners in .*\/progress: \d+ entries checked, \d+ shifted \(\d+ entries\/s\)\.\.\.$/);
  });

  it('stops between batches when asked (SIGTERM), leaving no marker', async () => {
    const fresh = join(base, 'stopped');
    for (let i = 0; i < 6; i++) await mkdir(join(fresh, `d${i}`), { recursive: true });
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    controller.abort(reason);
    await assert.rejects(shiftOwners({ ...request(), path: fresh }, () => {}, { batch: 2, signal: controller.signal }), (e: unknown) => e === reason);
    await assert.rejects(readFile(join(fresh, SHIFT_MARKER)), /ENOENT/);
  });

  it('walks again when the top of the tree holds an unshifted id (the volume was used elsewhere again) or the offset changed', async () => {
    await writeFile(join(tree, 'new-from-elsewhere'), '');
    await lchown(join(tree, 'new-from-elsewhere'), 1000, 1000);
    const again = await shiftOwners(request(), () => {});
    assert.equal(again.skipped, null);
    assert.equal(again.shifted, 1);
    assert.equal(await owner(join(tree, 'new-from-elsewhere')), '101000:101000');
    const otherOffset = await shiftOwners({ ...request(), offset: 200000 }, () => {});
    assert.equal(otherOffset.skipped, null, 'a marker for another offset proves nothing');
  });
});
