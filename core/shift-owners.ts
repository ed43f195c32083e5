import { chmodSync, lchownSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { lchown, lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The recursive half of a `CODER_MOUNTS` `:chown` mount: a volume used outside envbox holds files
 * owned by host ids like 1000, which are `nobody` inside a userns-remapped workspace. Each id below
 * the limit moves up by the offset (1000 -> 101000, the user inside); ids already in the range,
 * and foreign ids above it, stay. Symlinks are never followed (lchown), hard links are shifted
 * once, and the walk stays on one filesystem.
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
}

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

/**
 * Why the tree needs no walk, or null when it does: a marker for the same offset and range, and
 * the tree's top (the root and its direct entries, which is where a volume used elsewhere again
 * shows first) holds no id to shift. Costs one small read and one readdir.
 */
export async function alreadyShifted(request: ShiftRequest): Promise<string | null> {
  let marker: Marker;
  try {
    marker = JSON.parse(await readFile(join(request.path, SHIFT_MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
  if (marker.offset !== request.offset || marker.below !== request.below) return null;
  const top = [request.path, ...(await readdir(request.path)).map((name) => join(request.path, name))];
  for (const path of top) {
    const s = await lstat(path).catch(() => null);
    // A hard link with a name outside the tree was left on purpose; it proves nothing.
    if (s && (s.isDirectory() || s.nlink < 2) && needsShift(s, request)) return null;
  }
  return `shifted for offset ${marker.offset} on ${marker.at} (${marker.entries} entries; ${SHIFT_MARKER} records it), and nothing at its top needs shifting`;
}

/** Walks `request.path` and shifts owners; `progress` gets a line every 2 s on big trees. */
export async function shiftOwners(
  request: ShiftRequest,
  progress: (line: string) => void,
  { now = Date.now, batch = BATCH, signal }: { now?: () => number; batch?: number; signal?: AbortSignal } = {},
): Promise<ShiftOutcome> {
  const started = now();
  const skip = await alreadyShifted(request);
  if (skip !== null) return { skipped: skip, checked: 0, shifted: 0, seconds: (now() - started) / 1000 };

  const rootDev = lstatSync(request.path).dev;
  // Hard-linked files wait until the walk ends: one with a name outside the tree is left alone,
  // since shifting it would change a file outside too.
  const hardLinks = new Map<number, { path: string; stat: Stats; names: number }>();
  const pending: string[] = [request.path];
  let checked = 0;
  let shifted = 0;
  let lastReport = started;
  const rate = () => Math.round(checked / Math.max((now() - started) / 1000, 0.001));

  const shift = (path: string, s: Stats): void => {
    if (!needsShift(s, request)) return;
    lchownSync(path, shiftedId(s.uid, request), shiftedId(s.gid, request));
    // The kernel clears setuid and setgid on chown, even root's; put them back.
    if (s.isFile() && (s.mode & 0o6000) !== 0) chmodSync(path, s.mode & 0o7777);
    shifted += 1;
  };
  const visit = (path: string, s: Stats): void => {
    checked += 1;
    if (s.isDirectory() || s.nlink < 2) return shift(path, s);
    const seen = hardLinks.get(s.ino);
    if (seen) seen.names += 1;
    else hardLinks.set(s.ino, { path, stat: s, names: 1 });
  };

  visit(request.path, lstatSync(request.path));
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const name of names) {
      const path = join(dir, name);
      let s: Stats;
      try {
        s = lstatSync(path);
      } catch (error) {
        // Removed while we walk: nothing left to shift.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      // Another filesystem mounted inside the tree is another volume, with owners of its own.
      if (s.dev !== rootDev) continue;
      visit(path, s);
      if (s.isDirectory()) pending.push(path);
      if (checked % batch === 0) {
        // Sync calls are several times faster than promises here; yielding keeps signals and timers alive.
        await new Promise((resolve) => setImmediate(resolve));
        // SIGTERM mid-walk: stop now; without a marker, the next start walks again (shifting is idempotent).
        if (signal?.aborted) throw signal.reason;
        if (now() - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = now();
          progress(`Shifting owners in ${request.path}: ${checked} entries checked, ${shifted} shifted (${rate()} entries/s)...`);
        }
      }
    }
  }

  let outside = 0;
  for (const link of hardLinks.values()) {
    if (link.names === link.stat.nlink) shift(link.path, link.stat);
    else if (needsShift(link.stat, request)) outside += 1;
  }
  if (outside > 0) progress(`Left ${outside} hard-linked file(s) in ${request.path} unshifted: they also have names outside it`);

  const marker: Marker = { offset: request.offset, below: request.below, entries: checked, at: new Date().toISOString() };
  const markerPath = join(request.path, SHIFT_MARKER);
  await writeFile(markerPath, `${JSON.stringify(marker)}\n`, { mode: 0o644 });
  await lchown(markerPath, request.offset, request.offset);
  const seconds = (now() - started) / 1000;
  return { skipped: null, checked, shifted, seconds };
}

export function describeShift(request: ShiftRequest, outcome: ShiftOutcome): string {
  if (outcome.skipped !== null) return `Owners in ${request.path} need no walk: ${outcome.skipped}`;
  const rate = Math.round(outcome.checked / Math.max(outcome.seconds, 0.001));
  return `Shifted owners in ${request.path}: ${outcome.checked} entries checked, ${outcome.shifted} shifted, in ${outcome.seconds.toFixed(2)} s (${rate} entries/s)`;
}
