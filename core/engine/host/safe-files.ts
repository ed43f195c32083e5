import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, openSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The one place for touching files in places the workspace can write (the home volume, CODER_MOUNTS
 * sources): envbox runs as root, so a link the user left there must never redirect a read, write, chown
 * or chmod, a FIFO or device must never block it, and a huge file must never fill its memory.
 * Linux only, as envbox is: it relies on O_PATH and /proc/self/fd.
 */
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY, O_NOCTTY } = constants;

/** Linux's O_PATH (the same value on x86-64 and arm64); node does not export it. Opens no device and blocks on no FIFO. */
const O_PATH = 0o10000000;

/** A file that is not what envbox may touch there: a link, a FIFO, a device, too big, or changed under it. */
export class UnsafeFileError extends Error {
  readonly code = 'EUNSAFEFILE';
  constructor(readonly path: string, readonly why: string) {
    super(`${path} ${why}; envbox leaves it alone`);
    this.name = 'UnsafeFileError';
  }
}

export function describeKind(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** `/proc/self/fd/N[/name]`: the kernel resolves it to the very file the descriptor holds, wherever it has moved since. */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Opens a regular file without following a link in its last component and without blocking, then
 * checks with fstat that it is a regular file: a link, FIFO, device, socket or directory is refused.
 * `follow` is for a path an admin names (a Kubernetes secret's files are links), never for a user's.
 */
export async function openRegularNoFollow(path: string, flags = O_RDONLY, { follow = false } = {}): Promise<FileHandle> {
  // Refused before open where it can be seen: opening a device can have effects of its own.
  const seen = await lstat(path).catch(() => null);
  if (seen && !seen.isFile() && !(follow && seen.isSymbolicLink())) throw new UnsafeFileError(path, `is ${describeKind(seen)}, not a regular file`);
  let handle: FileHandle;
  try {
    handle = await open(path, flags | O_NONBLOCK | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
  } catch (error) {
    if (errno(error) === 'ELOOP') throw new UnsafeFileError(path, 'is a symbolic link, not a regular file');
    throw error;
  }
  const s = await handle.stat().catch(async (error: unknown) => { await handle.close(); throw error; });
  if (!s.isFile()) {
    await handle.close();
    throw new UnsafeFileError(path, `is ${describeKind(s)}, not a regular file`);
  }
  return handle;
}

/** The whole of a regular file, or an UnsafeFileError when it holds more than `maxBytes`; never a byte more is read. */
export async function readBounded(path: string, maxBytes: number, options: { follow?: boolean } = {}): Promise<Buffer> {
  const handle = await openRegularNoFollow(path, O_RDONLY, options);
  try {
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, 1 << 20));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, maxBytes + 1 - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
      if (total > maxBytes) throw new UnsafeFileError(path, `is larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Why a path an admin or a user named was not read, for a warning. */
type NotReadable = { problem: string };

export function isNotReadable(result: string | NotReadable | null): result is NotReadable {
  return typeof result === 'object' && result !== null;
}

/**
 * `readBounded` as text, for paths whose trouble is a warning rather than an error (extra CAs, the
 * status file): null when the file does not exist, the problem when it is not a regular file or is
 * larger than `maxBytes`. Links are followed only with `follow` (a Kubernetes secret's files are links).
 */
export async function readRegularFile(path: string, maxBytes: number, options: { follow?: boolean } = {}): Promise<string | NotReadable | null> {
  try {
    return (await readBounded(path, maxBytes, options)).toString('utf8');
  } catch (error) {
    if (errno(error) === 'ENOENT') return null;
    if (error instanceof UnsafeFileError) return { problem: `${error.why}; skipped` };
    return { problem: (error as Error).message };
  }
}

export interface ReplaceOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

/**
 * The temp file of a replacing write: a random name next to the target (so the rename stays on one
 * filesystem), created new and never through a link or a FIFO someone placed under that name.
 */
function replacingTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.envbox-${randomBytes(6).toString('hex')}`);
}

const REPLACING_TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

/**
 * Writes `content` to a temp file envbox creates itself (O_CREAT|O_EXCL|O_NOFOLLOW, so nothing the user
 * placed can stand in for it) in the target's directory, sets its mode and owner through the descriptor,
 * then renames it over the target: a link, FIFO or hard link at the target is replaced, never written through.
 */
export async function writeReplacing(path: string, content: string | Uint8Array, { mode = 0o644, uid, gid }: ReplaceOptions = {}): Promise<void> {
  const temp = replacingTempPath(path);
  const handle = await open(temp, REPLACING_TEMP_FLAGS, 0o600);
  try {
    await handle.writeFile(content);
    if (uid !== undefined || gid !== undefined) await handle.chown(uid ?? -1, gid ?? -1);
    await handle.chmod(mode);
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * `writeReplacing` for the writers that must finish before they return (the status file and the ready
 * marker, written from exit paths too): the same temp file, the same rename.
 */
export function writeReplacingSync(path: string, content: string | Uint8Array, { mode = 0o644, uid, gid }: ReplaceOptions = {}): void {
  const temp = replacingTempPath(path);
  let fd: number | undefined = openSync(temp, REPLACING_TEMP_FLAGS, 0o600);
  try {
    writeFileSync(fd, content);
    if (uid !== undefined || gid !== undefined) fchownSync(fd, uid ?? -1, gid ?? -1);
    fchmodSync(fd, mode);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Opens an existing path one component at a time from `/`, none of them followed if it is a link, and
 * returns an O_PATH descriptor with its stat. Give it a path with its links already resolved (realpath):
 * a link that appears in it since then is refused, not followed.
 */
export function openPathNoFollowSync(realPath: string): { fd: number; stat: Stats } {
  const parts = realPath.split('/').filter((part) => part !== '' && part !== '.');
  let fd = openSync('/', O_PATH | O_DIRECTORY);
  try {
    let walked = '';
    for (const part of parts) {
      if (part === '..') throw new UnsafeFileError(realPath, 'has a ".." component');
      const next = openSync(fdPath(fd, part), O_PATH | O_NOFOLLOW);
      closeSync(fd);
      fd = next;
      walked += `/${part}`;
      const s = fstatSync(fd);
      if (s.isSymbolicLink()) throw new UnsafeFileError(realPath, `passes through ${walked}, which became a symbolic link while envbox opened it`);
      if (walked !== `/${parts.join('/')}` && !s.isDirectory()) throw new UnsafeFileError(realPath, `passes through ${walked}, which is ${describeKind(s)}`);
    }
    return { fd, stat: fstatSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** chown of the file an O_PATH descriptor holds: the magic link is the inode itself, so no link can redirect it. */
export function chownByPathFd(fd: number, uid: number, gid: number): void {
  chownSync(fdPath(fd), uid, gid);
}

export function chmodByPathFd(fd: number, mode: number): void {
  chmodSync(fdPath(fd), mode);
}

/**
 * Opens `name` in the directory `dirFd` as a directory, without following a link, and checks it is
 * the directory lstat saw (`expected`): one swapped for a link or another directory since is refused.
 */
export function openChildDirSync(dirFd: number, name: string, expected: Pick<Stats, 'dev' | 'ino'>, shownAs: string): number {
  let fd: number;
  try {
    fd = openSync(fdPath(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errno(error);
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new UnsafeFileError(shownAs, 'stopped being a directory while envbox walked it');
    throw error;
  }
  const s = fstatSync(fd);
  if (s.dev !== expected.dev || s.ino !== expected.ino) {
    closeSync(fd);
    throw new UnsafeFileError(shownAs, 'was replaced while envbox walked it');
  }
  return fd;
}
