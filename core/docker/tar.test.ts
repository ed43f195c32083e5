import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { firstTarEntry, tarOf } from './tar.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'envbox-tar-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** What `tar` writes for the given paths under `dir`, in ustar (or another) format. */
function archive(paths: string[], format = 'ustar'): Buffer {
  return execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', dir, ...paths], { maxBuffer: 1 << 24 });
}

describe('firstTarEntry', () => {
  it('reads a file: its name, type and exactly its bytes (not the block padding)', async () => {
    const content = 'root:x:0:0:root:/root:/bin/sh\n'.repeat(25); // 750 bytes: two blocks, the second padded
    await writeFile(join(dir, 'passwd'), content);
    const tar = archive(['passwd']);
    assert.ok(tar.length > 512 + content.length, 'the archive is padded');
    const entry = firstTarEntry(tar);
    assert.ok(entry);
    assert.equal(entry.name, 'passwd');
    assert.equal(entry.type, 'file');
    assert.equal(entry.linkTarget, '');
    assert.equal(entry.data.toString('utf8'), content);
  });

  it('reads an empty file as empty data', async () => {
    await writeFile(join(dir, 'empty'), '');
    const entry = firstTarEntry(archive(['empty']));
    assert.equal(entry?.type, 'file');
    assert.equal(entry?.data.length, 0);
  });

  it('reads a symlink: its target, and no data', async () => {
    await symlink('../usr/lib/os-release', join(dir, 'os-release'));
    const entry = firstTarEntry(archive(['os-release']));
    assert.deepEqual(entry && { ...entry, data: entry.data.length }, { name: 'os-release', type: 'symlink', linkTarget: '../usr/lib/os-release', data: 0 });
  });

  it('returns only the first entry of several', async () => {
    await writeFile(join(dir, 'first'), 'one');
    await writeFile(join(dir, 'second'), 'two');
    const entry = firstTarEntry(archive(['first', 'second']));
    assert.equal(entry?.name, 'first');
    assert.equal(entry?.data.toString(), 'one');
  });

  it('calls a directory "other"', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    assert.equal(firstTarEntry(archive(['sub']))?.type, 'other');
  });

  it('joins the ustar prefix to the name of a long path', async () => {
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    await mkdir(join(dir, deep), { recursive: true });
    await writeFile(join(dir, deep, 'file'), 'deep');
    const path = `${deep}/file`;
    assert.ok(path.length > 100, 'the path does not fit the 100-byte name field');
    const entry = firstTarEntry(archive([path]));
    assert.equal(entry?.name, path);
    assert.equal(entry?.data.toString(), 'deep');
  });

  it('returns null for an empty archive (only zero blocks)', () => {
    const tar = execFileSync('tar', ['--format=ustar', '-cf', '-', '-T', '/dev/null']);
    assert.ok(tar.length >= 1024);
    assert.equal(firstTarEntry(tar), null);
  });

  it('returns null for less than one header block', () => {
    assert.equal(firstTarEntry(Buffer.alloc(0)), null);
    assert.equal(firstTarEntry(Buffer.alloc(511, 1)), null);
  });

  it('applies a PAX extended header (which Docker writes for a symlink target over 100 bytes) to the entry after it', async () => {
    const target = `/usr/lib/${'x'.repeat(120)}/os-release`;
    await symlink(target, join(dir, 'long-link'));
    const entry = firstTarEntry(archive(['long-link'], 'pax'));
    assert.equal(entry?.type, 'symlink');
    assert.equal(entry?.name, 'long-link');
    assert.equal(entry?.linkTarget, target);
  });
});

describe('tarOf', () => {
  it('writes a ustar archive that tar itself lists, with modes, root ownership and the bytes', () => {
    const archive = tarOf([
      { name: 'docker', type: 'dir', mode: 0o755 },
      { name: 'docker/daemon.json', type: 'file', mode: 0o600, data: Buffer.from('{"mtu":1400}\n') },
    ]);
    assert.equal(archive.length % 512, 0);
    const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: archive }).toString();
    assert.match(listing, /^drwxr-xr-x 0\/0 +0 .* docker\/\n-rw------- 0\/0 +13 .* docker\/daemon\.json\n$/);
    const first = firstTarEntry(tarOf([{ name: 'daemon.json', type: 'file', mode: 0o644, data: Buffer.from('x') }]));
    assert.deepEqual([first?.name, first?.type, first?.data.toString()], ['daemon.json', 'file', 'x']);
  });
});
