import { closeSync, constants } from 'node:fs';
import { lstat, mkdir, realpath, rm } from 'node:fs/promises';
import { describeAction, type Action, type ActionBody } from '../kernel/actions.js';
import type { HostView } from '../kernel/host-view.js';
import { chmodByPathFd, chownByPathFd, describeKind, openPathNoFollowSync, openRegularNoFollow, readBounded, UnsafeFileError, writeReplacing } from './host/safe-files.js';
import { resolveAsCreated } from './host/resolve-path.js';
import { isInSystemDir, isProtectedDir } from './host/system-dirs.js';
import type { BuildLog } from '../kernel/build-log.js';
import type { Logger } from './log/logger.js';
import { describeShift, shiftOwners } from './shift-owners.js';

/** A copied file (a CA bundle) is far below this; a bigger one is not read into memory. */
const COPY_MAX_BYTES = 16 * 1024 * 1024;

const inOrIsSystemDir = (path: string) => isProtectedDir(path) || isInSystemDir(path);

/**
 * The last guard, for every plugin: `/` and the outer container's system dirs are never chowned or
 * chmodded, also when the declared path is a symlink that leads there (a mount source /data -> /),
 * nor is anything inside one that a link leads to. A recursive owner shift is refused anywhere inside
 * one. Returns the path with its links resolved, which is what the action then opens, following no link.
 */
async function refuseProtected(path: string, what: 'chown' | 'chmod' | 'shift owners in'): Promise<string> {
  const real = await realpath(path).catch(() => path);
  const guarded = what === 'shift owners in' ? inOrIsSystemDir : isProtectedDir;
  // A path named inside a system dir is a plugin's own (the device dir /run/envbox); one that only
  // leads there through a link is not, and is left as the mounts plugin leaves such a source.
  const leadsIn = real !== path && !inOrIsSystemDir(path) && inOrIsSystemDir(real);
  for (const candidate of [path, real]) {
    if (guarded(candidate) || (candidate === real && leadsIn)) {
      const where = isProtectedDir(candidate) ? 'it is a system directory of the outer container' : 'it lies in a system directory of the outer container';
      throw new Error(`refusing to ${what} ${candidate === path ? path : `${path} (a link to ${real})`}: ${where}`);
    }
  }
  return real;
}

/**
 * A recursive mkdir follows links in the components that exist: `/data/l/new` with `/data/l -> /etc`
 * creates `/etc/new`, as root. Refused when that lands in or at a system dir and the path as named
 * does not (a plugin that names `/run/envbox` itself means it), whichever plugin declares it.
 */
async function refuseCreatingThroughLink(path: string, host: HostView): Promise<void> {
  if (inOrIsSystemDir(path)) return;
  const lands = await resolveAsCreated(host, path);
  if (!inOrIsSystemDir(lands)) return;
  throw new Error(`refusing to mkdir ${path} (a link to ${lands}): it ${isProtectedDir(lands) ? 'is' : 'lies in'} a system directory of the outer container`);
}

/**
 * chown or chmod of a path with its links resolved, through a descriptor opened one component at a
 * time (O_PATH, no link followed): a link swapped in since realpath is refused, and no device is opened.
 */
function changeThroughDescriptor(real: string, change: (fd: number) => void): void {
  const { fd, stat } = openPathNoFollowSync(real);
  try {
    if (stat.isSymbolicLink()) throw new UnsafeFileError(real, `is ${describeKind(stat)}`);
    change(fd);
  } finally {
    closeSync(fd);
  }
}

/** /proc and /sys files are kernel interfaces: written in place, as they cannot be replaced. */
const isKernelFile = (path: string) => /^\/(proc|sys)\//.test(path);

async function writeFileAction(path: string, content: string): Promise<void> {
  if (isKernelFile(path)) {
    const handle = await openRegularNoFollow(path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return;
  }
  const existing = await lstat(path).catch(() => null);
  await writeReplacing(path, content, { mode: existing?.isFile() ? existing.mode & 0o7777 : 0o644 });
}

/** Carries out one action. Each is idempotent, so a restart over the same volumes is safe. */
async function perform(action: ActionBody, host: HostView, report: (line: string) => void, signal?: AbortSignal): Promise<'done' | 'skipped'> {
  switch (action.kind) {
    case 'mknod': {
      const mode = parseInt(action.mode, 8);
      const existing = await host.lstat(action.path);
      if (existing?.kind === 'char' && existing.major === action.major && existing.minor === action.minor) {
        if (existing.mode === mode) return 'skipped';
        changeThroughDescriptor(await realpath(action.path), (fd) => chmodByPathFd(fd, mode));
        return 'done';
      }
      if (existing) await rm(action.path, { force: true });
      await runProgram('mknod', ['-m', action.mode, action.path, 'c', String(action.major), String(action.minor)]);
      return 'done';
    }
    case 'chown': {
      const real = await refuseProtected(action.path, 'chown');
      changeThroughDescriptor(real, (fd) => chownByPathFd(fd, action.uid, action.gid));
      return 'done';
    }
    case 'chmod': {
      const real = await refuseProtected(action.path, 'chmod');
      changeThroughDescriptor(real, (fd) => chmodByPathFd(fd, parseInt(action.mode, 8)));
      return 'done';
    }
    case 'mkdir':
      if (await host.stat(action.path)) return 'skipped';
      await refuseCreatingThroughLink(action.path, host);
      await mkdir(action.path, { recursive: true, mode: parseInt(action.mode, 8) });
      return 'done';
    case 'remount': {
      // Only a mount point can be remounted; a plain directory is already as writable as its filesystem.
      const mounted = (await host.mounts()).some((m) => m.target === action.path);
      if (!mounted) return 'skipped';
      await runProgram('mount', ['-o', `remount,${action.options}`, action.path]);
      return 'done';
    }
    case 'unmount':
      await runProgram('umount', [action.path]);
      return 'done';
    case 'copyFile':
      // The source is an admin's file (a Kubernetes secret's are links); the target may lie where the workspace writes.
      await writeReplacing(action.to, await readBounded(action.from, COPY_MAX_BYTES, { follow: true }), { mode: parseInt(action.mode, 8) });
      return 'done';
    case 'writeFile':
      await writeFileAction(action.path, action.content);
      return 'done';
    case 'shiftOwners': {
      const real = await refuseProtected(action.path, 'shift owners in');
      const outcome = await shiftOwners({ ...action, path: real }, report, { signal });
      report(describeShift(action, outcome));
      return outcome.skipped === null ? 'done' : 'skipped';
    }
  }
}

/** execa is loaded at the first command an action runs, not on every start. */
async function runProgram(file: string, args: string[]): Promise<void> {
  const { execa } = await import('execa');
  await execa(file, args);
}

export interface ActionRunner {
  run(actions: readonly Action[]): Promise<void>;
  /** Every action handed to `run`, in order; what `plan` predicts. */
  readonly performed: readonly Action[];
}

/** `signal` (SIGTERM) stops a long action, such as a big owner shift, between batches. */
export function createActionRunner(host: HostView, log: Logger, buildLog: BuildLog, signal?: AbortSignal): ActionRunner {
  const performed: Action[] = [];
  return {
    performed,
    async run(actions) {
      for (const action of actions) {
        performed.push(action);
        const { plugin, hook, bestEffort, ...body } = action;
        try {
          const outcome = await perform(body, host, (line) => buildLog.info(line), signal);
          log.debug({ action, outcome }, 'performed action');
          buildLog.info(`Action: ${describeAction(body)}${outcome === 'skipped' ? ' (already so)' : ''}`);
        } catch (error) {
          if (signal?.aborted && error === signal.reason) throw error;
          const reason = error instanceof Error ? (error as Error & { stderr?: string }).stderr || error.message : String(error);
          if (bestEffort) {
            // The build log says so on the next line; the debug log keeps the details.
            log.debug({ action, error: reason }, 'best-effort action failed');
            buildLog.info(`Action skipped: ${describeAction(body)}: ${reason}`);
            continue;
          }
          throw new Error(`${describeAction(body)} (declared by plugin "${plugin}" in ${hook}) failed: ${reason}`, { cause: error });
        }
      }
    },
  };
}

