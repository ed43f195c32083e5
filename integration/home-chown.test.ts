// A home volume used outside envbox (files owned by host uid 1000, which is `nobody` in a
// userns-remapped workspace) mounted with CODER_MOUNTS `:chown`: the owners are shifted once,
// symlinks out of the tree and hard links included, and a second start skips the walk.
// The volume is the user's, and hostile: envbox's marker name is a link to a file outside, a FIFO
// and a link to /etc lie in it, and later a FIFO takes the marker's place. Nothing outside changes,
// and envbox never blocks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, lchownSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createWorld, destroyWorld, Sandbox, type EnvboxRun, type World } from './harness/index.js';
import { infoOutputs, innerExec, installCa, pullSecret, stopCleanly } from './harness/scenario.js';

const DIRS = 100;
const FILES_PER_DIR = 200;
const OFFSET = 100000;

/** The owner each file starts with: mostly the user (1000), some root, another user, already shifted, and foreign. */
function initialOwner(i: number): number {
  return [0, 1001, 300000, 101000][i % 10] ?? 1000;
}
const shifted = (id: number) => (id < 65536 ? id + OFFSET : id);

/** Every entry under `root` with its uid:gid, keyed by path relative to it (no symlink followed). */
function owners(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const s = lstatSync(join(dir, name));
      out.set(join(rel, name), `${s.uid}:${s.gid}`);
      if (s.isDirectory()) walk(join(dir, name), join(rel, name));
    }
  };
  walk(root, '');
  return out;
}

describe('home volumes that keep their owners (:chown)', () => {
  let world: World;
  let sandbox: Sandbox;
  let home: string;
  let outside: string;
  let before_: Map<string, string>;
  let outsideBefore: Map<string, string>;
  let env: Record<string, string>;
  let run: EnvboxRun | undefined;
  let etcBefore: string;

  before(async () => {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'home-chown');
    home = join(sandbox.paths.home, 'coder');
    outside = join(sandbox.paths.home, 'outside');
    mkdirSync(outside, { recursive: true });
    for (const name of ['secret', 'shared']) {
      writeFileSync(join(outside, name), name);
      lchownSync(join(outside, name), 1000, 1000);
    }
    lchownSync(outside, 1000, 1000);
    for (let d = 0; d < DIRS; d++) {
      const dir = join(home, `d${d}`);
      mkdirSync(dir, { recursive: true });
      lchownSync(dir, 1000, 1000);
      for (let f = 0; f < FILES_PER_DIR; f++) {
        const path = join(dir, `f${f}`);
        writeFileSync(path, '');
        const id = initialOwner(d * FILES_PER_DIR + f);
        lchownSync(path, id, id);
      }
    }
    lchownSync(home, 1000, 1000);
    // Symlinks out of the tree (as the sandbox sees it), hard links inside it, and one with a name outside.
    symlinkSync('/home/outside/secret', join(home, 'd0', 'escape-file'));
    symlinkSync('/home/outside', join(home, 'd0', 'escape-dir'));
    for (let i = 0; i < 10; i++) linkSync(join(home, 'd1', `f${i * 10 + 5}`), join(home, 'd2', `hardlink-${i}`));
    linkSync(join(outside, 'shared'), join(home, 'd3', 'shared-with-outside'));
    // Traps: envbox's marker name as a link to a file outside, a FIFO, a link to /etc.
    writeFileSync(join(outside, 'marker-target'), 'precious');
    lchownSync(join(outside, 'marker-target'), 1000, 1000);
    symlinkSync('/home/outside/marker-target', join(home, '.envbox-owners'));
    execFileSync('mkfifo', [join(home, 'd0', 'fifo')]);
    symlinkSync('/etc', join(home, 'etc-link'));
    etcBefore = `${lstatSync('/etc').uid}:${lstatSync('/etc').gid}`;
    before_ = owners(home);
    outsideBefore = owners(outside);
    env = sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
      CODER_MOUNTS: '/home/coder:/home/coder:chown',
    });
  });
  after(async () => {
    run?.kill();
    // A reader blocked on a FIFO (a failing envbox) is released.
    for (const fifo of [join(home, 'd0', 'fifo'), join(home, '.envbox-owners')]) {
      try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader, or not a FIFO */ }
    }
    try {
      if (sandbox) await sandbox.destroy();
    } finally {
      if (world) await destroyWorld(world);
    }
  });

  /** A run left by a failed test is stopped first (SIGTERM stops its dockerd too), so the next one starts on a quiet sandbox. */
  async function startFresh(): Promise<EnvboxRun> {
    if (run?.running) await run.stop(60_000);
    run = await sandbox.startEnvbox(env);
    return run;
  }

  test('first start: the user owns their files inside, other ids are shifted or left as the rules say, and nothing outside the tree changed', { timeout: 180_000 }, async () => {
    assert.ok(before_.size > 20_000, `the tree holds ${before_.size} entries`);
    // plan shows the shift as an action, and performs nothing.
    const facts = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };
    const plan = await sandbox.startEnvbox({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(facts) }, ['plan']);
    assert.equal((await plan.waitForExit(60_000)).code, 0, plan.tail());
    const planned = (JSON.parse(plan.stdoutText()) as { actions: { kind: string }[] }).actions.filter((a) => a.kind === 'shiftOwners');
    assert.deepEqual(planned, [{ kind: 'shiftOwners', path: '/home/coder', offset: OFFSET, below: 65536, plugin: 'mounts', hook: 'containerSpec' }]);
    assert.deepEqual(owners(home), before_, 'plan changed no owner');

    run = await startFresh();
    await run.waitForDone(150_000);
    const line = infoOutputs(run).find((l) => l.startsWith('Shifted owners in /home/coder:'));
    assert.match(line ?? infoOutputs(run).join('\n'), /^Shifted owners in \/home\/coder: 20\d{3} entries checked, \d+ shifted, in \d+\.\d\d s \(\d+ entries\/s\)$/);
    assert.ok(infoOutputs(run).some((l) => /^Left 1 hard-linked file\(s\) in \/home\/coder unshifted: they also have names outside it$/.test(l)));
    assert.ok(infoOutputs(run).some((l) => l === 'Ignoring /home/coder/.envbox-owners: it is a symbolic link, not a regular file; it will be replaced after the walk'), infoOutputs(run).join('\n'));
    assert.equal(readFileSync(join(outside, 'marker-target'), 'utf8'), 'precious', 'the file the marker link pointed at was not written');
    assert.ok(lstatSync(join(home, '.envbox-owners')).isFile(), 'envbox replaced the link with its own marker');
    assert.equal(`${lstatSync('/etc').uid}:${lstatSync('/etc').gid}`, etcBefore, '/etc behind the link kept its owner');
    assert.ok(lstatSync(join(home, 'd0', 'fifo')).isFIFO());

    const after_ = owners(home);
    const wrong: string[] = [];
    for (const [path, was] of before_) {
      const [uid, gid] = was.split(':').map(Number) as [number, number];
      const expected = path === join('d3', 'shared-with-outside') ? was : `${shifted(uid)}:${shifted(gid)}`;
      if (after_.get(path) !== expected) wrong.push(`${path}: ${was} -> ${after_.get(path)} (expected ${expected})`);
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} entries have the wrong owner`);
    assert.deepEqual(owners(outside), outsideBefore, 'nothing outside the tree changed');
    assert.equal(`${lstatSync(outside).uid}`, '1000');

    // Inside, as the user: their files are theirs, and writable.
    const inside = await innerExec(sandbox, ['sh', '-c', 'stat -c "%u:%g" ~/d0/f5 ~/d0/f0 ~/d0/f1 ~/d0/f2 ~/d0/f3 && touch ~/d0/f5 ~/d7/new && echo written'], { user: 'coder' });
    // the user's, root's, another user's, a foreign id (nobody), one that was already shifted
    assert.equal(inside.trim(), '1000:1000\n0:0\n1001:1001\n65534:65534\n1000:1000\nwritten');
    const notTheUsers = await innerExec(sandbox, ['sh', '-c', 'find /home/coder -xdev ! -user coder | wc -l']);
    // Per 10 files: root, 1001 and a foreign id are not the user's; plus the hard link with an outside name, the marker,
    // the three symlinks and the FIFO, which root made (the workspace's root owns them now).
    assert.equal(Number(notTheUsers.trim()), (DIRS * FILES_PER_DIR * 3) / 10 + 6);
    await stopCleanly(sandbox, run);
  });

  test('second start on the shifted tree skips the walk, and says why', { timeout: 180_000 }, async () => {
    run = await startFresh();
    await run.waitForDone(150_000);
    const lines = infoOutputs(run);
    assert.ok(lines.some((l) => /^Owners in \/home\/coder need no walk: shifted for offset 100000 on \S+ \(20\d{3} entries; \.envbox-owners records it\), and nothing at its top needs shifting$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^Action: shift owners below 65536 by \+100000 in \/home\/coder, recursively .* \(already so\)$/.test(l)), lines.join('\n'));
    assert.equal(lines.some((l) => l.startsWith('Shifted owners')), false, 'no walk');
    await stopCleanly(sandbox, run);
  });

  test('a FIFO left where the marker goes: the next start warns, walks again without blocking, replaces it, and reaches done', { timeout: 180_000 }, async () => {
    rmSync(join(home, '.envbox-owners'));
    execFileSync('mkfifo', [join(home, '.envbox-owners')]);
    run = await startFresh();
    await run.waitForDone(150_000);
    const lines = infoOutputs(run);
    assert.ok(lines.includes('Ignoring /home/coder/.envbox-owners: it is a FIFO, not a regular file; it will be replaced after the walk'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('Shifted owners in /home/coder:')), lines.join('\n'));
    assert.ok(lstatSync(join(home, '.envbox-owners')).isFile());
    assert.equal(readFileSync(join(outside, 'marker-target'), 'utf8'), 'precious');
    await stopCleanly(sandbox, run);
  });
});
