import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFirstTarEntry, tarOf } from './tar.js';

/** The first entry with its data read whole, from the archive fed in chunks of `chunkSize` bytes. */
async function firstTarEntry(archive: Buffer, chunkSize = 4096) {
  async function* chunks() { for (let i = 0; i < archive.length; i += chunkSize) yield archive.subarray(i, i + chunkSize); }
  const entry = await openFirstTarEntry(chunks());
  if (!entry) return null;
  const data: Buffer[] = [];
  for await (const chunk of entry.data) data.push(chunk);
  return { name: entry.name, type: entry.type, linkTarget: entry.linkTarget, data: Buffer.concat(data) };
}

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'envbox-tar-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** What `tar` writes for the given paths under `dir`, in ustar (or another) format. */
function archive(paths: string[], format = 'ustar'): Buffer {
  return execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', dir, ...paths], { maxBuffer: 1 << 24 });
}

describe('openFirstTarEntry', () => {
  it('reads a file: its name, type and exactly its bytes (not the block padding)', async () => {
    const content = 'root:x:0:0:root:/root:/bin/sh\n'.repeat(25); // 750 bytes: two blocks, the second padded
    await writeFile(join(dir, 'passwd'), content);
    const tar = archive(['passwd']);
    assert.ok(tar.length > 512 + content.length, 'the archive is padded');
    const entry = await firstTarEntry(tar);
    assert.ok(entry);
    assert.equal(entry.name, 'passwd');
    assert.equal(entry.type, 'file');
    assert.equal(entry.linkTarget, '');
    assert.equal(entry.data.toString('utf8'), content);
  });

  it('reads an empty file as empty data', async () => {
    await writeFile(join(dir, 'empty'), '');
    const entry = await firstTarEntry(archive(['empty']));
    assert.equal(entry?.type, 'file');
    assert.equal(entry?.data.length, 0);
  });

  it('reads a symlink: its target, and no data', async () => {
    await symlink('../usr/lib/os-release', join(dir, 'os-release'));
    const entry = await firstTarEntry(archive(['os-release']));
    assert.deepEqual(entry && { ...entry, data: entry.data.length }, { name: 'os-release', type: 'symlink', linkTarget: '../usr/lib/os-release', data: 0 });
  });

  it('returns only the first entry of several', async () => {
    await writeFile(join(dir, 'first'), 'one');
    await writeFile(join(dir, 'second'), 'two');
    const entry = await firstTarEntry(archive(['first', 'second']));
    assert.equal(entry?.name, 'first');
    assert.equal(entry?.data.toString(), 'one');
  });

  it('calls a directory "other"', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    assert.equal((await firstTarEntry(archive(['sub'])))?.type, 'other');
  });

  it('joins the ustar prefix to the name of a long path', async () => {
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    await mkdir(join(dir, deep), { recursive: true });
    await writeFile(join(dir, deep, 'file'), 'deep');
    const path = `${deep}/file`;
    assert.ok(path.length > 100, 'the path does not fit the 100-byte name field');
    const entry = await firstTarEntry(archive([path]));
    assert.equal(entry?.name, path);
    assert.equal(entry?.data.toString(), 'deep');
  });

  it('returns null for an empty archive (only zero blocks)', async () => {
    const tar = execFileSync('tar', ['--format=ustar', '-cf', '-', '-T', '/dev/null']);
    assert.ok(tar.length >= 1024);
    assert.equal(await firstTarEntry(tar), null);
  });

  it('returns null for less than one header block', async () => {
    assert.equal(await firstTarEntry(Buffer.alloc(0)), null);
    assert.equal(await firstTarEntry(Buffer.alloc(511, 1)), null);
  });

  it('applies a PAX extended header (which Docker writes for a symlink target over 100 bytes) to the entry after it', async () => {
    const target = `/usr/lib/${'x'.repeat(120)}/os-release`;
    await symlink(target, join(dir, 'long-link'));
    const entry = await firstTarEntry(archive(['long-link'], 'pax'));
    assert.equal(entry?.type, 'symlink');
    assert.equal(entry?.name, 'long-link');
    assert.equal(entry?.linkTarget, target);
  });

  it('gives the same entry whatever the chunk sizes (1 byte, 100 bytes, a header split across chunks)', async () => {
    const content = 'coder:x:1000:1000::/home/coder:/bin/sh\n'.repeat(40);
    await writeFile(join(dir, 'chunked'), content);
    const tar = archive(['chunked'], 'pax');
    for (const size of [1, 100, 511, 513]) assert.equal((await firstTarEntry(tar, size))?.data.toString(), content, `chunks of ${size}`);
  });

  it('stops reading the source when the reader stops, without reading the rest', async () => {
    await writeFile(join(dir, 'big'), 'x'.repeat(64 * 1024));
    const tar = archive(['big']);
    let served = 0;
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; i < tar.length; i += 1024) { served += 1; yield tar.subarray(i, i + 1024); }
      } finally { closed = true; }
    }
    const entry = await openFirstTarEntry(source());
    for await (const chunk of entry!.data) { assert.ok(chunk.length > 0); break; }
    assert.ok(closed, 'the source was closed');
    assert.ok(served <= 2, `read ${served} chunks of ${Math.ceil(tar.length / 1024)}`);
  });

  it('refuses a PAX header too large to come from Docker, and closes the source', async () => {
    const header = Buffer.alloc(512);
    header.write('././@PaxHeader', 0);
    header.write(`${(8 * 2 ** 20).toString(8).padStart(11, '0')}\0`, 124);
    header.write('x', 156);
    let closed = false;
    async function* source() { try { yield header; yield Buffer.alloc(512); } finally { closed = true; } }
    await assert.rejects(openFirstTarEntry(source()), /PAX header of 8388608 bytes/);
    assert.ok(closed);
  });

  it('says so when the archive ends inside the entry', async () => {
    await writeFile(join(dir, 'cut'), 'y'.repeat(2000));
    const tar = archive(['cut']).subarray(0, 1024);
    await assert.rejects(firstTarEntry(tar), /ended \d+ bytes before the end of its entry/);
  });
});

describe('tarOf', () => {
  it('writes a ustar archive that tar itself lists, with modes, root ownership and the bytes', async () => {
    const archive = tarOf([
      { name: 'docker', type: 'dir', mode: 0o755 },
      { name: 'docker/daemon.json', type: 'file', mode: 0o600, data: Buffer.from('{"mtu":1400}\n') },
    ]);
    assert.equal(archive.length % 512, 0);
    const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: archive }).toString();
    assert.match(listing, /^drwxr-xr-x 0\/0 +0 .* docker\/\n-rw------- 0\/0 +13 .* docker\/daemon\.json\n$/);
    const first = await firstTarEntry(tarOf([{ name: 'daemon.json', type: 'file', mode: 0o644, data: Buffer.from('x') }]));
    assert.deepEqual([first?.name, first?.type, first?.data.toString()], ['daemon.json', 'file', 'x']);
  });
});
