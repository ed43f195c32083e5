import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Action, ActionBody } from '../kernel/actions.js';
import { NodeHost } from './host/node-host.js';
import { BuildLog } from '../kernel/build-log.js';
import { silentLogger } from './log/logger.js';
import { createActionRunner } from './perform-actions.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'envbox-actions-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const isRoot = process.getuid?.() === 0;

function runner() {
  const lines: string[] = [];
  const buildLog = new BuildLog({ write: (text: string) => lines.push((JSON.parse(text) as { output: string }).output) });
  return { lines, actions: createActionRunner(new NodeHost({}), silentLogger(), buildLog) };
}

function declared(body: ActionBody, more: Partial<Action> = {}): Action {
  return { ...body, plugin: 'test-plugin', hook: 'containerSpec', ...more } as Action;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

describe('createActionRunner with NodeHost', () => {
  it('mkdir creates the directory with its parents and mode', async () => {
    const path = join(dir, 'made/deeper');
    const { actions, lines } = runner();
    await actions.run([declared({ kind: 'mkdir', path, mode: '0750' })]);
    assert.ok((await stat(path)).isDirectory());
    assert.equal(await modeOf(path), 0o750);
    assert.deepEqual(lines, [`Action: mkdir -p -m 0750 ${path}`]);
  });

  it('mkdir of an existing directory changes nothing and says "(already so)"', async () => {
    const path = join(dir, 'existing');
    await mkdir(path, { mode: 0o700 });
    const { actions, lines } = runner();
    await actions.run([declared({ kind: 'mkdir', path, mode: '0755' })]);
    assert.equal(await modeOf(path), 0o700);
    assert.deepEqual(lines, [`Action: mkdir -p -m 0755 ${path} (already so)`]);
  });

  it('chmod 02755 sets the setgid bit', async () => {
    const path = join(dir, 'setgid');
    await mkdir(path, { mode: 0o755 });
    const { actions } = runner();
    await actions.run([declared({ kind: 'chmod', path, mode: '02755' })]);
    const mode = await modeOf(path);
    assert.equal(mode & 0o2000, 0o2000, `mode ${mode.toString(8)}`);
    assert.equal(mode, 0o2755);
  });

  it('chown to the current uid and gid', async () => {
    const path = join(dir, 'owned');
    await writeFile(path, '');
    const [uid, gid] = [process.getuid?.() ?? 0, process.getgid?.() ?? 0];
    const { actions, lines } = runner();
    await actions.run([declared({ kind: 'chown', path, uid, gid })]);
    const s = await stat(path);
    assert.deepEqual([s.uid, s.gid], [uid, gid]);
    assert.deepEqual(lines, [`Action: chown ${uid}:${gid} ${path}`]);
  });

  it('chown to the id-shifted root of the workspace', { skip: isRoot ? false : 'needs root' }, async () => {
    const path = join(dir, 'shifted');
    await writeFile(path, '');
    await runner().actions.run([declared({ kind: 'chown', path, uid: 100000, gid: 100001 })]);
    const s = await stat(path);
    assert.deepEqual([s.uid, s.gid], [100000, 100001]);
  });

  it('copyFile copies the content and sets the mode', async () => {
    const from = join(dir, 'ca.pem');
    const to = join(dir, 'copied.pem');
    await writeFile(from, '-----BEGIN CERTIFICATE-----\n', { mode: 0o644 });
    await runner().actions.run([declared({ kind: 'copyFile', from, to, mode: '0600' })]);
    assert.equal(await readFile(to, 'utf8'), '-----BEGIN CERTIFICATE-----\n');
    assert.equal(await modeOf(to), 0o600);
    assert.equal(await modeOf(from), 0o644, 'the source is left alone');
  });

  it('writeFile writes the content, replacing what was there', async () => {
    const path = join(dir, 'oom_score_adj');
    await writeFile(path, 'old content that is longer');
    await runner().actions.run([declared({ kind: 'writeFile', path, content: '-1000' })]);
    assert.equal(await readFile(path, 'utf8'), '-1000');
  });

  it('skips a remount of a plain directory, which is no mount point', async () => {
    const path = join(dir, 'plain');
    await mkdir(path);
    const { actions, lines } = runner();
    await actions.run([declared({ kind: 'remount', path, options: 'rw' })]);
    assert.deepEqual(lines, [`Action: mount -o remount,rw ${path} (already so)`]);
  });

  it('a failing action throws, naming the action, plugin and hook, and stops there', async () => {
    const missing = join(dir, 'missing/file');
    const after = join(dir, 'not-written');
    const { actions } = runner();
    await assert.rejects(actions.run([
      declared({ kind: 'chmod', path: missing, mode: '0600' }, { plugin: 'certs', hook: 'postStart' }),
      declared({ kind: 'writeFile', path: after, content: 'x' }),
    ]), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, new RegExp(`^chmod 0600 ${missing} \\(declared by plugin "certs" in postStart\\) failed: .*ENOENT`));
      assert.ok(error.cause instanceof Error);
      return true;
    });
    await assert.rejects(stat(after), /ENOENT/);
    assert.equal(actions.performed.length, 1);
  });

  it('a failing best-effort action is logged as "Action skipped" and the rest still run', async () => {
    const missing = join(dir, 'nowhere/x');
    const next = join(dir, 'after-skip');
    const { actions, lines } = runner();
    await actions.run([
      declared({ kind: 'chmod', path: missing, mode: '0644' }, { bestEffort: true }),
      declared({ kind: 'writeFile', path: next, content: 'ran' }),
    ]);
    assert.equal(await readFile(next, 'utf8'), 'ran');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(`^Action skipped: chmod 0644 ${missing}: .*ENOENT`));
    assert.equal(lines[1], `Action: write "ran" to ${next}`);
  });

  it('performed lists every action handed to run, in order, across runs, as declared', async () => {
    const { actions } = runner();
    const first = [
      declared({ kind: 'mkdir', path: join(dir, 'p1'), mode: '0755' }),
      declared({ kind: 'chmod', path: join(dir, 'p-missing'), mode: '0644' }, { bestEffort: true, plugin: 'other' }),
    ];
    const second = [declared({ kind: 'writeFile', path: join(dir, 'p1/f'), content: '' }, { hook: 'postStart' })];
    await actions.run(first);
    await actions.run(second);
    assert.deepEqual(actions.performed, [...first, ...second]);
  });

  it('mknod makes the character device, then leaves an identical one alone', { skip: isRoot ? false : 'needs root' }, async () => {
    const path = join(dir, 'null-dev');
    const host = new NodeHost({});
    const { actions, lines } = runner();
    await actions.run([declared({ kind: 'mknod', path, major: 1, minor: 3, mode: '0666' })]);
    const { dev, ino, ...node } = (await host.lstat(path))!;
    assert.deepEqual(node, { kind: 'char', mode: 0o666, uid: 0, gid: 0, major: 1, minor: 3 });
    await actions.run([declared({ kind: 'mknod', path, major: 1, minor: 3, mode: '0666' })]);
    assert.deepEqual(lines, [`Action: mknod ${path} c 1 3 (mode 0666)`, `Action: mknod ${path} c 1 3 (mode 0666) (already so)`]);
  });

  it('mknod replaces a regular file or a node with other numbers', { skip: isRoot ? false : 'needs root' }, async () => {
    const path = join(dir, 'tun-dev');
    await writeFile(path, 'not a device');
    const host = new NodeHost({});
    await runner().actions.run([declared({ kind: 'mknod', path, major: 10, minor: 200, mode: '0666' })]);
    assert.equal((await host.lstat(path))?.kind, 'char');
    await runner().actions.run([declared({ kind: 'mknod', path, major: 10, minor: 229, mode: '0600' })]);
    const node = await host.lstat(path);
    assert.deepEqual([node?.major, node?.minor, node?.mode], [10, 229, 0o600]);
  });

  it('mknod gives an existing node with the right numbers the declared mode', {
    skip: isRoot ? false : 'needs root',
  }, async () => {
    const path = join(dir, 'fuse-dev');
    await runner().actions.run([declared({ kind: 'mknod', path, major: 10, minor: 229, mode: '0600' })]);
    await runner().actions.run([declared({ kind: 'mknod', path, major: 10, minor: 229, mode: '0666' })]);
    assert.equal((await new NodeHost({}).lstat(path))?.mode, 0o666);
  });
});
