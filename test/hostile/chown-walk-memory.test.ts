import assert from 'node:assert/strict';
import { lchown, link, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as walk from '../../core/engine/shift-owners.js';

const { ID_RANGE_SIZE, shiftOwners } = walk;

/**
 * The workspace user chooses how many entries its home volume holds, so what the :chown walk keeps
 * (subdirectories still to visit, hard links to shift at the end) must stay under a cap whatever
 * the tree holds. Checked through the walk's own count of what it kept, with caps made small.
 */
const asRoot = process.getuid?.() === 0;
const owner = async (path: string) => { const s = await lstat(path); return `${s.uid}:${s.gid}`; };

describe('hostile: the :chown walk keeps bounded state however many entries the user made', { skip: asRoot ? false : 'lchown to other ids needs root (CI runs as root)' }, () => {
  const bases: string[] = [];
  after(async () => { for (const base of bases) await rm(base, { recursive: true, force: true }); });

  async function tree(): Promise<{ root: string; request: { path: string; offset: number; below: number } }> {
    const base = await mkdtemp(join(tmpdir(), 'envbox-walk-bounds-'));
    bases.push(base);
    const root = join(base, 'home');
    await mkdir(root);
    await lchown(root, 1000, 1000);
    return { root, request: { path: root, offset: 100000, below: ID_RANGE_SIZE } };
  }

  it('has documented caps: 100,000 pending directories, 100,000 hard links, 16 Mi path characters', () => {
    assert.deepEqual({ ...walk.WALK_LIMITS }, { pendingDirs: 100_000, hardLinks: 100_000, hardLinkPathChars: 16 * 1024 * 1024 });
  });

  it('60 subdirectories in one directory with a cap of 10 pending: at most 10 kept, the rest shifted themselves but not walked, and a build-log line says so', async () => {
    const { root, request } = await tree();
    for (let i = 0; i < 60; i++) {
      await mkdir(join(root, `d${i}`));
      await writeFile(join(root, `d${i}`, 'f'), '');
      for (const path of [join(root, `d${i}`), join(root, `d${i}`, 'f')]) await lchown(path, 1000, 1000);
    }
    const lines: string[] = [];
    const outcome = await shiftOwners(request, (l) => lines.push(l), { limits: { pendingDirs: 10 } });
    assert.equal(outcome.tracked.pendingDirs, 10);
    const owners = await Promise.all(Array.from({ length: 60 }, async (_, i) => [await owner(join(root, `d${i}`)), await owner(join(root, `d${i}`, 'f'))]));
    assert.ok(owners.every(([dir]) => dir === '101000:101000'), 'every directory itself is shifted');
    assert.equal(owners.filter(([, file]) => file === '101000:101000').length, 10, 'only the kept directories are walked');
    assert.ok(lines.some((l) => /^Left 50 entries in .* unshifted with what is in them \(directories past the walk's cap of 10 waiting to be visited\): /.test(l)), lines.join('\n'));
  });

  it('40 hard-linked files with a cap of 8: at most 8 kept and shifted, the rest left with a build-log line; links that need no shift are not kept at all', async () => {
    const { root, request } = await tree();
    for (let i = 0; i < 40; i++) {
      await writeFile(join(root, `a${i}`), '');
      await lchown(join(root, `a${i}`), 1000, 1000);
      await link(join(root, `a${i}`), join(root, `b${i}`));
      await writeFile(join(root, `shifted${i}`), '');
      await lchown(join(root, `shifted${i}`), 101000, 101000);
      await link(join(root, `shifted${i}`), join(root, `shifted-again${i}`));
    }
    const lines: string[] = [];
    const outcome = await shiftOwners(request, (l) => lines.push(l), { limits: { hardLinks: 8 } });
    assert.equal(outcome.tracked.hardLinks, 8);
    const owners = await Promise.all(Array.from({ length: 40 }, (_, i) => owner(join(root, `a${i}`))));
    assert.equal(owners.filter((o) => o === '101000:101000').length, 8);
    assert.equal(owners.filter((o) => o === '1000:1000').length, 32);
    assert.ok(lines.some((l) => /^Left 64 entries in .* unshifted \(hard-linked files past the walk's cap of 8 files/.test(l)), lines.join('\n'));
  });

  it('a hard link whose path is longer than the path-character cap is left, not kept', async () => {
    const { root, request } = await tree();
    const deep = join(root, 'x'.repeat(200), 'y'.repeat(200));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'f'), '');
    await lchown(join(deep, 'f'), 1000, 1000);
    await link(join(deep, 'f'), join(deep, 'g'));
    const lines: string[] = [];
    const outcome = await shiftOwners(request, (l) => lines.push(l), { limits: { hardLinkPathChars: 300 } });
    assert.equal(outcome.tracked.hardLinkPathChars, 0);
    assert.equal(await owner(join(deep, 'f')), '1000:1000');
    assert.ok(lines.some((l) => /hard-linked files past the walk's cap/.test(l)), lines.join('\n'));
  });
});
