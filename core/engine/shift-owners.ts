import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lchownSync, lstatSync, openSync, opendirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fdPath, openChildDirSync, openPathNoFollowSync, readBounded, UnsafeFileError, writeReplacing } from './host/safe-files.js';

/**
 * The recursive half of a `CODER_MOUNTS` `:chown` mount: a volume used outside envbox holds files
 * owned by host ids like 1000, which are `nobody` inside a userns-remapped workspace. Each id below
 * the limit moves up by the offset (1000 -> 101000, the user inside); ids already in the range,
 * and foreign ids above it, stay. Symlinks are never followed (lchown), hard links are shifted
 * once, and the walk stays on one filesystem.
 *
 * The tree belongs to the workspace user, who may swap a directory for a link while envbox walks it.
 * So each directory is opened (O_NOFOLLOW, checked to be the one lstat saw) and its entries are
 * addressed through that descriptor (/proc/self/fd/N/name): a parent replaced by a link since cannot
 * redirect a chown out of the tree.
 *
 * The user also chooses how many entries there are, so the walk's memory does not grow with them:
 * directories are read a few entries at a time, and what it keeps for later (the subdirectories
 * still to visit, the hard links to shift at the end) is capped by WALK_LIMITS. What does not fit is
 * left unshifted and named in a build-log line, as entries deeper than MAX_DEPTH are.
 */
export interface ShiftRequest {
  path: string;
  /** The first host id of the workspace's range (ENVBOX_ID_OFFSET). */
  offset: number;
  /** Ids below this are shifted: the size of the range, so a shifted id never leaves it. */
  below: number;
}

export interface ShiftOutcome {
  /** Why the walk was skipped, or null when it ran. */
  skipped: string | null;
  checked: number;
  shifted: number;
  seconds: number;
  /** The most the walk kept at once: what its memory grows with, each at most its WALK_LIMITS cap. */
  tracked: { pendingDirs: number; hardLinks: number; hardLinkPathChars: number };
}

export interface WalkLimits {
  /** Subdirectories found and not yet visited, over all open levels (each keeps its name and inode). */
  pendingDirs: number;
  /** Hard-linked files that need a shift, kept until the walk ends (each keeps its path from the root). */
  hardLinks: number;
  /** The characters of those paths together: one path can be MAX_DEPTH names long. */
  hardLinkPathChars: number;
}

/**
 * Each kept entry costs a few hundred bytes at most (a name is at most 255 bytes), so a few tens of MiB
 * in all, whatever the tree holds. A real home rarely comes near: the pending
 * subdirectories are the unvisited siblings along one path, and few files have a second name.
 */
export const WALK_LIMITS: Readonly<WalkLimits> = { pendingDirs: 100_000, hardLinks: 100_000, hardLinkPathChars: 16 * 1024 * 1024 };

/** The size of the userns-remap range (coder:100000:65536 in /etc/subuid): ids below it are shifted. */
export const ID_RANGE_SIZE = 65536;

/** Records a finished walk, so a second start can prove cheaply that there is nothing to do. */
export const SHIFT_MARKER = '.envbox-owners';

interface Marker {
  offset: number;
  below: number;
  entries: number;
  at: string;
}

const BATCH = 2000;
const PROGRESS_EVERY_MS = 2000;

export function shiftedId(id: number, request: ShiftRequest): number {
  return id < Math.min(request.below, request.offset) ? id + request.offset : id;
}

function needsShift(s: Pick<Stats, 'uid' | 'gid'>, request: ShiftRequest): boolean {
  return shiftedId(s.uid, request) !== s.uid || shiftedId(s.gid, request) !== s.gid;
}

/** The marker is a few dozen bytes; anything bigger is not ours. */
const MARKER_MAX_BYTES = 4096;
/** A tree deeper than this is hostile: its deeper directories are left as they are (one open descriptor per level). */
const MAX_DEPTH = 1000;

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

export interface ShiftOptions {
  now?: () => number;
  batch?: number;
  signal?: AbortSignal;
  /** Called after an entry is lstat'd and before anything changes it: lets tests swap what is there, as a user racing envbox would. */
  beforeChange?: (path: string, stat: Stats) => void;
  /** Smaller caps, for tests. */
  limits?: Partial<WalkLimits>;
}

/** The marker's record, or why it is not to be trusted (a link, a FIFO, too big, not ours). */
async function readMarker(markerPath: string, shownAs: string): Promise<{ marker: Marker | null; warning: string | null }> {
  let text: string;
  try {
    text = (await readBounded(markerPath, MARKER_MAX_BYTES)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { marker: null, warning: null };
    const why = error instanceof UnsafeFileError ? error.why : (error as Error).message;
    return { marker: null, warning: `Ignoring ${shownAs}: it ${why}; it will be replaced after the walk` };
  }
  try {
    return { marker: JSON.parse(text) as Marker, warning: null };
  } catch {
    return { marker: null, warning: null };
  }
}

/**
 * Why the tree needs no walk, or null when it does: a marker for the same offset and range, and
 * the tree's top (the root and its direct entries, which is where a volume used elsewhere again
 * shows first) holds no id to shift. Costs one small read and one readdir.
 */
async function alreadyShiftedAt(rootFd: number, request: ShiftRequest, progress: (line: string) => void): Promise<string | null> {
  const { marker, warning } = await readMarker(fdPath(rootFd, SHIFT_MARKER), join(request.path, SHIFT_MARKER));
  if (warning !== null) progress(warning);
  if (marker === null || marker.offset !== request.offset || marker.below !== request.below) return null;
  // A hard link with a name outside the tree was left on purpose; it proves nothing.
  const unshifted = (s: Stats) => (s.isDirectory() || s.nlink < 2) && needsShift(s, request);
  if (unshifted(fstatSync(rootFd))) return null;
  const top = opendirSync(fdPath(rootFd));
  try {
    for (let entry = top.readSync(); entry !== null; entry = top.readSync()) {
      let s: Stats;
      try {
        s = lstatSync(fdPath(rootFd, entry.name));
      } catch {
        continue;
      }
      if (unshifted(s)) return null;
    }
  } finally {
    top.closeSync();
  }
  return `shifted for offset ${marker.offset} on ${marker.at} (${marker.entries} entries; ${SHIFT_MARKER} records it), and nothing at its top needs shifting`;
}

/** Opens the tree's root as a directory; `request.path` should have its links resolved (the executor does so). */
function openRoot(path: string): number {
  const { fd, stat } = openPathNoFollowSync(path);
  try {
    if (!stat.isDirectory()) throw new UnsafeFileError(path, 'is not a directory');
    return openSync(fdPath(fd), O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  } finally {
    closeSync(fd);
  }
}

interface OpenDir {
  fd: number;
  name: string;
  /** As the user knows it, for messages. */
  path: string;
  /** Its subdirectories still to visit; the walk stays on one filesystem, so the inode tells each apart. */
  subdirs: { name: string; ino: number }[];
}

/** A hard-linked file to shift once the walk has counted its names: only what that needs, not its Stats. */
interface HardLink {
  /** Names from the root, joined by '/' (no name holds one). */
  relative: string;
  uid: number;
  gid: number;
  nlink: number;
  names: number;
}

/** Entries left unshifted: how many, and the first few, for the build log. */
class LeftAlone {
  count = 0;
  readonly shown: string[] = [];
  add(what: string): void {
    this.count += 1;
    if (this.shown.length < 5) this.shown.push(what);
  }
}

/** Walks `request.path` and shifts owners; `progress` gets a line every 2 s on big trees. */
export async function shiftOwners(
  request: ShiftRequest,
  progress: (line: string) => void,
  { now = Date.now, batch = BATCH, signal, beforeChange, limits: smaller = {} }: ShiftOptions = {},
): Promise<ShiftOutcome> {
  const started = now();
  const limits: WalkLimits = { ...WALK_LIMITS, ...smaller };
  const tracked = { pendingDirs: 0, hardLinks: 0, hardLinkPathChars: 0 };
  const rootFd = openRoot(request.path);
  const open: OpenDir[] = [];
  try {
    const skip = await alreadyShiftedAt(rootFd, request, progress);
    if (skip !== null) return { skipped: skip, checked: 0, shifted: 0, seconds: (now() - started) / 1000, tracked };

    const rootStat = fstatSync(rootFd);
    // Hard-linked files wait until the walk ends: one with a name outside the tree is left alone,
    // since shifting it would change a file outside too. Each is found again from the root then.
    // Only those that need a shift are kept: the others have nothing to wait for.
    const hardLinks = new Map<number, HardLink>();
    let hardLinkPathChars = 0;
    let pendingDirs = 0;
    const leftAlone = new LeftAlone();
    const untrackedLinks = new LeftAlone();
    const unvisitedDirs = new LeftAlone();
    let checked = 0;
    let shifted = 0;
    let lastReport = started;
    const rate = () => Math.round(checked / Math.max((now() - started) / 1000, 0.001));

    /** `path` addresses the entry through its parent's descriptor, and lchown never follows its last component. */
    const shift = (path: string, s: Stats): void => {
      if (!needsShift(s, request)) return;
      const uid = shiftedId(s.uid, request);
      const gid = shiftedId(s.gid, request);
      // The kernel clears setuid and setgid on chown, even root's; put them back through a descriptor
      // of the very file, opened without following a link or blocking.
      if (s.isFile() && (s.mode & 0o6000) !== 0) shiftKeepingMode(path, s, uid, gid);
      else lchownSync(path, uid, gid);
      shifted += 1;
    };
    const visit = (path: string, s: Stats, relative: () => string, shownAs: () => string): void => {
      checked += 1;
      if (s.isDirectory() || s.nlink < 2) return shift(path, s);
      if (!needsShift(s, request)) return;
      const seen = hardLinks.get(s.ino);
      if (seen) {
        seen.names += 1;
        return;
      }
      const names = relative();
      if (hardLinks.size >= limits.hardLinks || hardLinkPathChars + names.length > limits.hardLinkPathChars) return untrackedLinks.add(shownAs());
      hardLinks.set(s.ino, { relative: names, uid: s.uid, gid: s.gid, nlink: s.nlink, names: 1 });
      hardLinkPathChars += names.length;
      tracked.hardLinks = Math.max(tracked.hardLinks, hardLinks.size);
      tracked.hardLinkPathChars = Math.max(tracked.hardLinkPathChars, hardLinkPathChars);
    };
    const pause = async (): Promise<void> => {
      // Sync calls are several times faster than promises here; yielding keeps signals and timers alive.
      await new Promise((resolve) => setImmediate(resolve));
      // SIGTERM mid-walk: stop now; without a marker, the next start walks again (shifting is idempotent).
      if (signal?.aborted) throw signal.reason;
      if (now() - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = now();
        progress(`Shifting owners in ${request.path}: ${checked} entries checked, ${shifted} shifted (${rate()} entries/s)...`);
      }
    };
    /** Names from the root to `name`, for finding a hard link again after the walk. */
    const relativeOf = (name: string) => [...open.slice(1).map((d) => d.name), name].join('/');
    const enter = async (dir: OpenDir): Promise<void> => {
      open.push(dir);
      // A few entries at a time (node reads 32 per call), through the descriptor: the very directory lstat saw.
      let reader: ReturnType<typeof opendirSync>;
      try {
        reader = opendirSync(fdPath(dir.fd));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      try {
        for (let dirent = reader.readSync(); dirent !== null; dirent = reader.readSync()) {
          if (inspect(dir, dirent.name) && checked % batch === 0) await pause();
        }
      } finally {
        reader.closeSync();
      }
    };
    /** One entry: shifted now, or kept for later (a subdirectory, a hard link); false when it is gone or on another filesystem. */
    const inspect = (dir: OpenDir, name: string): boolean => {
      const entry = fdPath(dir.fd, name);
      let s: Stats;
      try {
        s = lstatSync(entry);
      } catch (error) {
        // Removed while we walk: nothing left to shift.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
      // Another filesystem mounted inside the tree is another volume, with owners of its own.
      if (s.dev !== rootStat.dev) return false;
      beforeChange?.(join(dir.path, name), s);
      visit(entry, s, () => relativeOf(name), () => join(dir.path, name));
      if (s.isDirectory()) {
        if (pendingDirs >= limits.pendingDirs) unvisitedDirs.add(join(dir.path, name));
        else {
          dir.subdirs.push({ name, ino: s.ino });
          pendingDirs += 1;
          tracked.pendingDirs = Math.max(tracked.pendingDirs, pendingDirs);
        }
      }
      return true;
    };

    checked += 1;
    if (needsShift(rootStat, request)) {
      fchownSync(rootFd, shiftedId(rootStat.uid, request), shiftedId(rootStat.gid, request));
      shifted += 1;
    }
    await enter({ fd: rootFd, name: '', path: request.path, subdirs: [] });
    while (open.length > 0) {
      const dir = open[open.length - 1]!;
      const next = dir.subdirs.pop();
      if (next) pendingDirs -= 1;
      if (!next) {
        open.pop();
        if (dir.fd !== rootFd) closeSync(dir.fd);
        continue;
      }
      const path = join(dir.path, next.name);
      if (open.length >= MAX_DEPTH) {
        leftAlone.add(`${path} (deeper than ${MAX_DEPTH} levels)`);
        continue;
      }
      let fd: number;
      try {
        fd = openChildDirSync(dir.fd, next.name, { dev: rootStat.dev, ino: next.ino }, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        if (!(error instanceof UnsafeFileError)) throw error;
        leftAlone.add(`${path} (${error.why})`);
        continue;
      }
      await enter({ fd, name: next.name, path, subdirs: [] });
    }

    let outside = 0;
    for (const [ino, link] of hardLinks) {
      if (link.names !== link.nlink) {
        outside += 1;
        continue;
      }
      const relative = link.relative.split('/');
      const where = join(request.path, ...relative);
      try {
        shiftHardLink(rootFd, relative, { dev: rootStat.dev, ino, uid: link.uid, gid: link.gid }, request, where);
        shifted += 1;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        if (!(error instanceof UnsafeFileError)) throw error;
        leftAlone.add(`${where} (${error.why})`);
      }
    }
    if (outside > 0) progress(`Left ${outside} hard-linked file(s) in ${request.path} unshifted: they also have names outside it`);
    report(progress, request.path, leftAlone, '');
    report(progress, request.path, untrackedLinks, ` (hard-linked files past the walk's cap of ${limits.hardLinks} files or ${limits.hardLinkPathChars} path characters)`);
    report(progress, request.path, unvisitedDirs, ` with what is in them (directories past the walk's cap of ${limits.pendingDirs} waiting to be visited)`);

    const marker: Marker = { offset: request.offset, below: request.below, entries: checked, at: new Date().toISOString() };
    // Replaces whatever the user left under that name (a link, a FIFO, a hard link), never writing through it.
    await writeReplacing(fdPath(rootFd, SHIFT_MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o644, uid: request.offset, gid: request.offset });
    const seconds = (now() - started) / 1000;
    return { skipped: null, checked, shifted, seconds, tracked };
  } finally {
    for (const dir of open) if (dir.fd !== rootFd) closeSync(dir.fd);
    closeSync(rootFd);
  }
}

function report(progress: (line: string) => void, root: string, left: LeftAlone, why: string): void {
  if (left.count === 0) return;
  progress(`Left ${left.count} entr${left.count === 1 ? 'y' : 'ies'} in ${root} unshifted${why}: ${left.shown.join('; ')}${left.count > left.shown.length ? '; ...' : ''}`);
}

/** A setuid/setgid file: chown and chmod through one descriptor of the file lstat saw. */
function shiftKeepingMode(path: string, s: Stats, uid: number, gid: number): void {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (error) {
    // Swapped for a link since lstat: lchown changes the link itself, never its target.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return lchownSync(path, uid, gid);
    throw error;
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile() || now.dev !== s.dev || now.ino !== s.ino) return;
    fchownSync(fd, uid, gid);
    fchmodSync(fd, s.mode & 0o7777);
  } finally {
    closeSync(fd);
  }
}

/** A hard link found again from the root, one directory at a time, none followed, checked to be the same file. */
function shiftHardLink(rootFd: number, relative: string[], s: Pick<Stats, 'dev' | 'ino' | 'uid' | 'gid'>, request: ShiftRequest, shownAs: string): void {
  const fds: number[] = [];
  try {
    let dirFd = rootFd;
    for (const name of relative.slice(0, -1)) {
      const parent = lstatSync(fdPath(dirFd, name));
      dirFd = openChildDirSync(dirFd, name, parent, shownAs);
      fds.push(dirFd);
    }
    const entry = fdPath(dirFd, relative[relative.length - 1]!);
    const now = lstatSync(entry);
    if (now.dev !== s.dev || now.ino !== s.ino) throw new UnsafeFileError(shownAs, 'was replaced while envbox walked the tree');
    if (now.isFile() && (now.mode & 0o6000) !== 0) shiftKeepingMode(entry, now, shiftedId(s.uid, request), shiftedId(s.gid, request));
    else lchownSync(entry, shiftedId(s.uid, request), shiftedId(s.gid, request));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

export function describeShift(request: ShiftRequest, outcome: ShiftOutcome): string {
  if (outcome.skipped !== null) return `Owners in ${request.path} need no walk: ${outcome.skipped}`;
  const rate = Math.round(outcome.checked / Math.max(outcome.seconds, 0.001));
  return `Shifted owners in ${request.path}: ${outcome.checked} entries checked, ${outcome.shifted} shifted, in ${outcome.seconds.toFixed(2)} s (${rate} entries/s)`;
}
