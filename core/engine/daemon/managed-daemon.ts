import { access } from 'node:fs/promises';
import { EnvboxError } from '../../kernel/errors.js';
import type { Logger } from '../log/logger.js';
import { dataRootOf, explainDaemonFailure, type DaemonFailure } from './failure-reasons.js';
import { ManagedProcess, onPath, type Exit } from './process.js';
import { sysboxArgv } from './sysbox-argv.js';

/** dockerd's last line of a clean shutdown (containers stopped, containerd stopped, pidfile removed). */
const DOCKERD_FINISHED = /msg="Daemon shutdown complete"/;

const SYSBOX_MANAGER_SOCKET = '/run/sysbox/sysmgr.sock';
const SYSBOX_EXIT_MESSAGE = 'Sysbox exited, possibly because of an unsupported kernel version. Please contact an infrastructure administrator and request a node kernel with seccomp API level >= 5.';

/** A real build of the image installs sysbox-ce; the offline one (`npm run image`) cannot download it. This says what else works. */
const SYSBOX_MISSING_HINT = 'Set ENVBOX_RUNTIME=runc (the workspace then runs without a nested dockerd or systemd), '
  + 'or mount sysbox in (sysbox-mgr, sysbox-fs and sysbox-runc in /usr/bin), or use an envbox image from a real build '
  + '(docker build -f deploy/Dockerfile installs sysbox-ce; this image may be the offline build, which has none).';

export interface DaemonSet {
  /** Resolves with a reason when any daemon exits on its own. */
  readonly unexpectedExit: Promise<string>;
  readonly dockerd: ManagedProcess;
  readonly pids: number[];
  /** Restarts dockerd with new arguments (the full-disk fallback). */
  restartDockerd(argv: string[], env: Record<string, string>): Promise<void>;
  stopAll(): Promise<void>;
}

export interface DaemonLauncher {
  start(options: {
    dockerdArgv: string[];
    /** Added to envbox's own env for dockerd (what preDaemon taps set). */
    dockerdEnv: Record<string, string>;
    sysbox: { enabled: boolean; disableIdmappedMount: boolean };
    logFile?: string;
    /** envbox's env vars that no daemon inherits: the secret inputs. */
    withoutEnv?: readonly string[];
  }): Promise<DaemonSet>;
}

function describeExit(name: string, exit: Exit, tail: string, known?: DaemonFailure): string {
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  const why = known ? `: ${known.reason}. ${known.fix}` : '';
  return `${name} exited with ${how}${why}${tail ? `${known ? ' Its' : '; its'} last output:\n${tail}` : ''}`;
}

async function waitForFile(path: string, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await access(path);
      return;
    } catch {
      const reason = failed();
      if (reason) throw new EnvboxError(reason, SYSBOX_EXIT_MESSAGE);
      if (Date.now() > deadline) throw new EnvboxError(`sysbox-mgr did not create ${path} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Starts sysbox-mgr and sysbox-fs (for sysbox-runc) and dockerd, and supervises them. */
export function processLauncher(log: Logger, scrub: (text: string) => string): DaemonLauncher {
  return {
    async start({ dockerdArgv, dockerdEnv, sysbox, logFile, withoutEnv = [] }) {
      const sysboxProcs: ManagedProcess[] = [];
      if (sysbox.enabled) {
        for (const program of ['sysbox-mgr', 'sysbox-fs']) {
          if (!(await onPath(program))) {
            throw new EnvboxError(`${program} is not installed, and ENVBOX_RUNTIME=sysbox-runc needs it`, SYSBOX_MISSING_HINT);
          }
        }
        const argv = sysboxArgv(sysbox);
        sysboxProcs.push(new ManagedProcess('sysbox-mgr', argv.mgr, { log, logFile, scrub, withoutEnv }));
        sysboxProcs.push(new ManagedProcess('sysbox-fs', argv.fs, { log, logFile, scrub, withoutEnv }));
        let early: string | undefined;
        for (const p of sysboxProcs) p.exited.then((exit) => { early ??= describeExit(p.name, exit, p.tail()); });
        await waitForFile(SYSBOX_MANAGER_SOCKET, 60_000, () => early);
      }
      if (!(await onPath(dockerdArgv[0] ?? 'dockerd'))) {
        throw new EnvboxError(`${dockerdArgv[0]} is not installed`, 'Install docker (dockerd), or point ENVBOX_DOCKER_HOST at a running daemon.');
      }
      let dockerd = new ManagedProcess('dockerd', dockerdArgv, { log, logFile, scrub, env: dockerdEnv, withoutEnv, finishedLine: DOCKERD_FINISHED });
      let restarting = false;
      let reportExit!: (reason: string) => void;
      const unexpectedExit = new Promise<string>((resolve) => { reportExit = resolve; });
      let dockerdDataRoot = dataRootOf(dockerdArgv);
      const watch = (proc: ManagedProcess, extra = '') => {
        proc.exited.then((exit) => {
          if (proc.isStopping || (proc === dockerd && restarting)) return;
          // dockerd's own reason and its fix first: its last lines are often only its shutdown, or rootlesskit's "exited".
          const known = proc === dockerd ? explainDaemonFailure(proc.lines(), { dataRoot: dockerdDataRoot }) : undefined;
          reportExit(`${describeExit(proc.name, exit, proc.tail(), known)}${extra}`);
        });
      };
      sysboxProcs.forEach((p) => watch(p, `\n${SYSBOX_EXIT_MESSAGE}`));
      watch(dockerd);
      const set: DaemonSet = {
        unexpectedExit,
        get dockerd() { return dockerd; },
        get pids() { return [...sysboxProcs, dockerd].map((p) => p.pid).filter((p): p is number => p !== undefined); },
        async restartDockerd(argv, env) {
          restarting = true;
          await dockerd.stop();
          dockerd = new ManagedProcess('dockerd', argv, { log, logFile, scrub, env, withoutEnv, finishedLine: DOCKERD_FINISHED });
          dockerdDataRoot = dataRootOf(argv);
          restarting = false;
          watch(dockerd);
        },
        async stopAll() {
          await dockerd.stop();
          await Promise.all(sysboxProcs.map((p) => p.stop()));
        },
      };
      return set;
    },
  };
}
