import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { HOST_READ_LIMIT_BYTES, type DirEntry, type FileKind, type FileStat, type HostView, type MountEntry } from '../../kernel/host-view.js';
import { readBounded } from './safe-files.js';

function kindOf(s: Stats | Dirent): FileKind {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isDirectory()) return 'dir';
  if (s.isFile()) return 'file';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  return 'other';
}

function toStat(s: Stats): FileStat {
  const out: FileStat = { kind: kindOf(s), mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, dev: s.dev, ino: s.ino };
  if (out.kind === 'char' || out.kind === 'block') {
    // Linux dev_t encoding, as glibc's major()/minor() decode it.
    out.major = Number((BigInt(s.rdev) >> 8n) & 0xfffn);
    out.minor = Number((BigInt(s.rdev) & 0xffn) | ((BigInt(s.rdev) >> 12n) & 0xfff00n));
  }
  return out;
}

async function orNull<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch {
    return null;
  }
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [left = '', right = ''] = line.split(' - ');
    const fields = left.split(' ');
    const [fstype = '', source = ''] = right.split(' ');
    entries.push({
      target: unescapeMountPath(fields[4] ?? ''),
      source: unescapeMountPath(source),
      fstype,
      options: (fields[5] ?? '').split(','),
    });
  }
  return entries;
}

/** The mount table is the kernel's, not a user's, and a node with many pods lists many mounts. */
const MOUNTINFO_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * A regular file as text, through safe-files' one rule: never blocks on a FIFO, never opens a device,
 * never reads past the limit. Links are followed: these paths are the admin's (a Kubernetes secret's
 * files are links) or the kernel's. /proc and /sys files say size 0 and are read to their end.
 */
async function readText(path: string, limitBytes: number): Promise<string | null> {
  return orNull(readBounded(path, limitBytes, { follow: true }).then((bytes) => bytes.toString('utf8')));
}

export class NodeHost implements HostView {
  constructor(readonly env: Readonly<Record<string, string>> = process.env as Record<string, string>) {}
  async lstat(path: string) { return orNull(lstat(path).then(toStat)); }
  async stat(path: string) { return orNull(stat(path).then(toStat)); }
  async readdir(path: string) { return (await orNull(readdir(path))) ?? []; }
  // Node lstats only the entries whose kind the filesystem does not record (DT_UNKNOWN).
  async readdirKinds(path: string): Promise<DirEntry[]> {
    const entries = (await orNull(readdir(path, { withFileTypes: true }))) ?? [];
    return entries.map((entry) => ({ name: entry.name, kind: kindOf(entry) }));
  }
  async readlink(path: string) { return orNull(readlink(path)); }
  async realpath(path: string) { return orNull(realpath(path)); }
  async readFile(path: string) { return readText(path, HOST_READ_LIMIT_BYTES); }
  async mounts() { return parseMountinfo((await readText('/proc/self/mountinfo', MOUNTINFO_LIMIT_BYTES)) ?? ''); }
  // Node has no xattr API; getcap (libcap2-bin, in the envbox image) decodes security.capability.
  async fileCapabilities(path: string) {
    if ((await this.stat(path)) === null) return null;
    const { execa } = await import('execa');
    const result = await orNull(execa('getcap', [path], { reject: false }));
    if (!result || result.exitCode !== 0) return null;
    return parseGetcap(String(result.stdout));
  }
  async linkMtu(name: string) {
    const text = await this.readFile(`/sys/class/net/${name}/mtu`);
    const mtu = text === null ? NaN : Number(text.trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : null;
  }
}

/** `getcap FILE` prints "FILE cap_setuid=ep" (libcap 2.4x) or "FILE = cap_setuid+ep" (older), or nothing. */
export function parseGetcap(output: string): string {
  const line = output.trim().split('\n')[0] ?? '';
  const match = /\s(?:=\s)?(cap_\S.*)$/.exec(line);
  return match?.[1]?.trim() ?? '';
}
