import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST_READ_LIMIT_BYTES } from '../../kernel/host-view.js';
import { NodeHost, parseMountinfo } from './node-host.js';

describe('parseMountinfo', () => {
  it('reads target, source, fstype and the per-mount options, past optional fields', () => {
    const text = [
      '22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
      '1200 1100 253:1 /var/lib/kubelet/pods/x/volumes/home /home/coder ro,relatime master:1 shared:3 - ext4 /dev/vda1 rw,discard',
      '',
    ].join('\n');
    assert.deepEqual(parseMountinfo(text), [
      { target: '/proc', source: 'proc', fstype: 'proc', options: ['rw', 'nosuid', 'nodev', 'noexec', 'relatime'] },
      { target: '/home/coder', source: '/dev/vda1', fstype: 'ext4', options: ['ro', 'relatime'] },
    ]);
  });

  it('unescapes \\040 (space), \\011 (tab), \\012 (newline) and \\134 (backslash) in paths', () => {
    const text = '40 30 0:50 / /mnt/my\\040data\\011x rw - tmpfs some\\134source\\012y rw\n';
    const [entry] = parseMountinfo(text);
    assert.equal(entry?.target, '/mnt/my data\tx');
    assert.equal(entry?.source, 'some\\source\ny');
  });

  it('ignores blank lines and returns nothing for empty text', () => {
    assert.deepEqual(parseMountinfo(''), []);
    assert.deepEqual(parseMountinfo('\n  \n'), []);
  });
});

describe('NodeHost', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envbox-nodehost-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'file'), 'content', { mode: 0o640 });
    await symlink('file', join(dir, 'link'));
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('linkMtu is null for a link that does not exist', async () => {
    assert.equal(await new NodeHost({}).linkMtu('envbox-no-such-link0'), null);
  });

  it('keeps the env it is given', () => {
    assert.deepEqual(new NodeHost({ A: '1' }).env, { A: '1' });
  });

  it('stat follows a symlink, lstat does not; both are null for a missing path', async () => {
    const host = new NodeHost({});
    assert.equal((await host.lstat(join(dir, 'link')))?.kind, 'symlink');
    const { dev, ino, ...followed } = (await host.stat(join(dir, 'link')))!;
    assert.deepEqual(followed, { kind: 'file', mode: 0o640, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    // The link's target is the same file: same device and inode (how one dir bound at two places is recognised).
    const file = (await host.stat(join(dir, 'file')))!;
    assert.deepEqual([file.dev, file.ino], [dev, ino]);
    assert.notDeepEqual([(await host.stat(join(dir, 'sub')))!.ino], [ino]);
    assert.equal((await host.stat(join(dir, 'sub')))?.kind, 'dir');
    assert.equal(await host.stat(join(dir, 'missing')), null);
    assert.equal(await host.lstat(join(dir, 'missing')), null);
  });

  it('reads files, links and folders, with null or [] for what is missing', async () => {
    const host = new NodeHost({});
    assert.equal(await host.readFile(join(dir, 'link')), 'content');
    assert.equal(await host.readFile(join(dir, 'missing')), null);
    assert.equal(await host.readlink(join(dir, 'link')), 'file');
    assert.equal(await host.readlink(join(dir, 'file')), null);
    assert.deepEqual((await host.readdir(dir)).sort(), ['file', 'link', 'sub']);
    assert.deepEqual(await host.readdir(join(dir, 'missing')), []);
  });

  it('decodes the major and minor numbers of a character device', async () => {
    const devNull = await new NodeHost({}).lstat('/dev/null');
    assert.deepEqual([devNull?.kind, devNull?.major, devNull?.minor], ['char', 1, 3]);
  });

  it('decodes major and minor numbers above 255', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async () => {
    const path = join(dir, 'big-numbers');
    execFileSync('mknod', ['-m', '0600', path, 'c', '511', '70000']);
    const node = await new NodeHost({}).lstat(path);
    assert.deepEqual([node?.kind, node?.major, node?.minor, node?.mode], ['char', 511, 70000, 0o600]);
  });

  it('mounts() reads this process\'s mount table, which has /', async () => {
    const mounts = await new NodeHost({}).mounts();
    assert.ok(mounts.some((m) => m.target === '/'), JSON.stringify(mounts.slice(0, 3)));
  });

  describe('readFile of a path that is not what it claims (CODER_DOCKER_CONFIG naming a FIFO, a device, a huge file)', () => {
    const fifo = () => join(dir, 'fifo');
    before(() => { execFileSync('mkfifo', [fifo()]); });
    // Releases a reader that a failing run left blocked on the FIFO, so the process can end.
    after(() => { try { closeSync(openSync(fifo(), constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ } });

    it('is null for a FIFO, and for a link to one, without waiting for a writer', { timeout: 20_000 }, async () => {
      await symlink(fifo(), join(dir, 'link-to-fifo'));
      const host = new NodeHost({});
      assert.equal(await host.readFile(fifo()), null);
      assert.equal(await host.readFile(join(dir, 'link-to-fifo')), null);
    });

    it('is null for a device behind a link, which it never reads (a link to /dev/zero would never end)', async () => {
      await symlink('/dev/null', join(dir, 'link-to-null'));
      assert.equal(await new NodeHost({}).readFile(join(dir, 'link-to-null')), null);
    });

    it('is null for a file over HOST_READ_LIMIT_BYTES, and reads one at the limit', async () => {
      await writeFile(join(dir, 'huge'), '');
      await truncate(join(dir, 'huge'), HOST_READ_LIMIT_BYTES + 1);
      await writeFile(join(dir, 'at-limit'), '');
      await truncate(join(dir, 'at-limit'), HOST_READ_LIMIT_BYTES);
      const host = new NodeHost({});
      assert.equal(await host.readFile(join(dir, 'huge')), null);
      assert.equal((await host.readFile(join(dir, 'at-limit')))?.length, HOST_READ_LIMIT_BYTES);
    });

    it('still reads /proc and /sys files, which say size 0, to their end', async () => {
      const host = new NodeHost({});
      assert.match((await host.readFile('/proc/self/status')) ?? '', /^Name:/);
      assert.match((await host.readFile('/proc/self/cgroup')) ?? '', /^\d+:/);
      assert.ok(((await host.linkMtu('lo')) ?? 0) > 0);
    });
  });
});

describe('NodeHost.readdirKinds', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envbox-kinds-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'lib.so.1'), '');
    await symlink('sub', join(dir, 'link-to-dir'));
    await symlink('missing', join(dir, 'dangling'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('gives each entry the kind lstat would, a symlink to a dir included', async () => {
    const entries = await new NodeHost({}).readdirKinds(dir);
    assert.deepEqual(entries.sort((a, b) => a.name.localeCompare(b.name)), [
      { name: 'dangling', kind: 'symlink' }, { name: 'lib.so.1', kind: 'file' },
      { name: 'link-to-dir', kind: 'symlink' }, { name: 'sub', kind: 'dir' },
    ]);
  });

  it('gives nothing for a missing dir, as readdir does', async () => {
    assert.deepEqual(await new NodeHost({}).readdirKinds(join(dir, 'nope')), []);
  });
});
