import assert from 'node:assert/strict';
import { lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ID_RANGE_SIZE, SHIFT_MARKER, shiftOwners, type ShiftRequest } from '../core/engine/shift-owners.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchContext, BenchResult } from './lib/types.js';

const DIRS = 100;
const FILES_PER_DIR = 200;
const OFFSET = 100000;

/** A home volume used outside envbox: 20,000 files, mostly uid 1000, some root, another user and a foreign id, plus links. */
class Tree {
  readonly root: string;
  readonly home: string;
  private readonly initial: [string, number][] = [];

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'envbox-bench-chown-'));
    this.home = join(this.root, 'home');
    mkdirSync(join(this.root, 'outside'));
    writeFileSync(join(this.root, 'outside', 'target'), '');
    for (let d = 0; d < DIRS; d++) {
      const dir = join(this.home, `d${d}`);
      mkdirSync(dir, { recursive: true });
      this.initial.push([dir, 1000]);
      for (let f = 0; f < FILES_PER_DIR; f++) {
        const path = join(dir, `f${f}`);
        writeFileSync(path, '');
        this.initial.push([path, [0, 1001, 300000][f % 10] ?? 1000]);
      }
    }
    this.initial.push([this.home, 1000]);
    symlinkSync(join(this.root, 'outside', 'target'), join(this.home, 'd0', 'escape'));
    for (let i = 0; i < 100; i++) linkSync(join(this.home, 'd1', `f${i}`), join(this.home, 'd2', `link-${i}`));
  }

  get entries(): number {
    return this.initial.length + 101;
  }

  /** Back to the owners it had before envbox saw it (untimed), marker removed. */
  reset(): void {
    rmSync(join(this.home, SHIFT_MARKER), { force: true });
    for (const [path, id] of this.initial) lchownSync(path, id, id);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('home-chown changes owners: run it as root (sudo npm run bench -- --only home-chown)');
}

const request = (tree: Tree): ShiftRequest => ({ path: tree.home, offset: OFFSET, below: ID_RANGE_SIZE });

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return since(start);
}

/** envbox's walk over the whole tree, then its second start on it; each against a tool doing the same over the same tree. */
async function measure(ctx: BenchContext, second: boolean): Promise<BenchResult> {
  requireRoot();
  const tree = new Tree();
  try {
    const rates: number[] = [];
    const samples = await interleave({
      rounds: ctx.rounds,
      warmup: ctx.warmup,
      onSample: (side, round, ms) => ctx.progress(`round ${round}: ${side} ${ms.toFixed(1)} ms`),
    }, async () => {
      if (second) return timed(() => execa('find', [tree.home, '-xdev', '(', '-uid', `-${ID_RANGE_SIZE}`, '-o', '-gid', `-${ID_RANGE_SIZE}`, ')', '-print']));
      tree.reset();
      return timed(() => execa('chown', ['-hR', `${OFFSET + 1000}:${OFFSET + 1000}`, tree.home]));
    }, async (round) => {
      tree.reset();
      if (second) await shiftOwners(request(tree), () => {});
      const start = performance.now();
      const outcome = await shiftOwners(request(tree), () => {});
      const ms = since(start);
      assert.equal(outcome.skipped !== null, second, 'the second start skips the walk; the first walks');
      if (!second && round >= 0) rates.push(outcome.checked / (ms / 1000));
      return ms;
    });
    assert.equal(lstatSync(join(tree.home, 'd0', 'f5')).uid, OFFSET + 1000);
    const notes = second
      ? [`a second start reads ${SHIFT_MARKER} and the tree's top (${DIRS + 2} entries) instead of walking ${tree.entries} entries`]
      : [`envbox: ${Math.round(median(rates))} entries/s over ${tree.entries} entries (100 dirs x 200 files, 100 hard links, a symlink out); `
        + 'chown -hR gives every entry one owner and checks nothing, so it is a lower bound for the same walk'];
    return {
      name: second ? 'home-chown-again' : 'home-chown',
      baseline: { label: second ? 'find -xdev -uid/-gid below the range (a full check)' : 'chown -hR 101000:101000', samplesMs: samples.baseline },
      subject: { label: second ? 'envbox :chown, second start (marker)' : 'envbox :chown, first start (walk + shift)', samplesMs: samples.subject },
      notes,
      details: { entries: tree.entries, entriesPerSecond: rates },
    };
  } finally {
    tree.remove();
  }
}

export const homeChownBench: Benchmark = {
  name: 'home-chown',
  summary: 'CODER_MOUNTS :chown walk over a 20,000-file home vs chown -hR over the same tree [root]',
  needsWorld: false,
  run: (ctx) => measure(ctx, false),
};

export const homeChownAgainBench: Benchmark = {
  name: 'home-chown-again',
  summary: ':chown on the second start (marker check) vs find over the same 20,000-file tree [root]',
  needsWorld: false,
  run: (ctx) => measure(ctx, true),
};
