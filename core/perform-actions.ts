import { chmod, chown, copyFile, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { describeAction, type Action, type ActionBody } from './actions.js';
import type { HostView } from './host/host.js';
import { isProtectedDir } from './host/system-dirs.js';
import type { BuildLog } from './log/buildlog.js';
import type { Logger } from './log/logger.js';
import { describeShift, shiftOwners } from './shift-owners.js';

/**
 * The last guard, for every plugin: `/` and the outer container's system dirs are never chowned or
 * chmodded, also when the declared path is a symlink that leads there (a mount source /data -> /).
 */
async function refuseProtected(path: string, what: 'chown' | 'chmod'): Promise<void> {
  const real = await realpath(path).catch(() => path);
  for (const candidate of [path, real]) {
    if (isProtectedDir(candidate)) {
      throw new Error(`refusing to ${what} ${candidate === path ? path : `${path} (a link to ${real})`}: it is a system directory of the outer container`);
    }
  }
}

/** Carries out one action. Each is idempotent, so a restart over the same volumes is safe. */
async function perform(action: ActionBody, host: HostView, report: (line: string) => void, signal?: AbortSignal): Promise<'done' | 'skipped'> {
  switch (action.kind) {
    case 'mknod': {
      const mode = parseInt(action.mode, 8);
      const existing = await host.lstat(action.path);
      if (existing?.kind === 'char' && existing.major === action.major && existing.minor === action.minor) {
        if (existing.mode === mode) return 'skipped';
        await chmod(action.path, mode);
        return 'done';
      }
      if (existing) await rm(action.path, { force: true });
      await runProgram('mknod', ['-m', action.mode, action.path, 'c', String(action.major), String(action.minor)]);
      return 'done';
    }
    case 'chown':
      await refuseProtected(action.path, 'chown');
      await chown(action.path, action.uid, action.gid);
      return 'done';
    case 'chmod':
      await refuseProtected(action.path, 'chmod');
      await chmod(action.path, parseInt(action.mode, 8));
      return 'done';
    case 'mkdir':
      if (await host.stat(action.path)) return 'skipped';
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
      await copyFile(action.from, action.to);
      await chmod(action.to, parseInt(action.mode, 8));
      return 'done';
    case 'writeFile':
      await writeFile(action.path, action.content);
      return 'done';
    case 'shiftOwners': {
      const outcome = await shiftOwners(action, report, { signal });
      report(describeShift(action, outcome));
      return outcome.skipped === null ? 'done' : 'skipped';
    }
  }
}

/** execa is loaded at the first command an action runs, not on every start (issue 10). */
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

