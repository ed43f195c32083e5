import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { isWrapperLine } from './failure-reasons.js';
import { DAEMON_STOP_GRACE_MS } from '../lifecycle/shutdown-budget.js';

/** How long a daemon that said its shutdown is complete may take to exit by itself. */
const FINISHED_EXIT_GRACE_MS = 100;

/** Keeps the last lines of a daemon's output, so failures can quote it. */
class RecentLines {
  private readonly lines: string[] = [];
  constructor(private readonly limit: number) {}
  push(line: string) {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }
  get all(): readonly string[] {
    return this.lines;
  }
}

export interface Exit {
  code: number | null;
  signal: string | null;
  /** The daemon wrote "no space left on device" at some point. */
  noSpace: boolean;
}

/** How long output may still arrive after a daemon's exit (a pipe it shared with a child stays open). */
const OUTPUT_DRAIN_MS = 100;

/** Calls `onLine` for each complete line of `stream`, and returns what flushes the last partial one. */
function splitLines(stream: Readable | null, onLine: (line: string) => void): () => void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    parts.forEach(onLine);
  });
  return () => {
    if (partial) onLine(partial);
    partial = '';
  };
}

/**
 * A supervised background daemon. It runs in its own process group so that a Ctrl-C meant for
 * envbox does not reach it; envbox stops it in order instead. It is spawned with node's own
 * child_process rather than execa, because loading execa (about 25 ms) would sit between envbox's
 * start and dockerd's; execa stays for the short commands of actions.
 */
export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly recent = new RecentLines(200);
  private sawNoSpace = false;
  private logFile: WriteStream | undefined;
  readonly exited: Promise<Exit>;
  private stopping = false;

  /** Resolves once the daemon says its clean shutdown is complete (see `finishedLine`). */
  private readonly finished: Promise<void>;
  private reportFinished: () => void = () => undefined;

  constructor(
    readonly name: string,
    argv: string[],
    options: {
      log: Logger; logFile?: string; env?: Record<string, string>; scrub: (text: string) => string;
      /** envbox's own env vars the daemon must not inherit (the secret inputs: agent token, pull secret). */
      withoutEnv?: readonly string[];
      /**
       * The line after which the daemon has nothing left to save. dockerd 20.10 logs "Daemon shutdown
       * complete" (pidfile and socket already removed, containerd stopped), then idles about 1 s in a
       * gRPC reconnect backoff before it exits; `stop` does not wait that second out.
       */
      finishedLine?: RegExp;
    },
  ) {
    this.finished = new Promise((resolve) => { this.reportFinished = resolve; });
    const [program = name, ...args] = argv;
    if (options.logFile) this.logFile = createWriteStream(options.logFile, { flags: 'a' });
    // envbox's env, less its secrets, plus the daemon's own (what preDaemon taps set).
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !options.withoutEnv?.includes(name)));
    this.child = spawn(program, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...inherited, ...options.env },
    });
    const onLine = (line: string) => {
      if (this.stopping && options.finishedLine?.test(line)) this.reportFinished();
      const clean = options.scrub(line);
      this.recent.push(clean);
      if (/no space left on device/i.test(clean)) this.sawNoSpace = true;
      this.logFile?.write(`${clean}\n`);
      options.log.debug({ process: name, line: clean }, 'daemon output');
    };
    const flushes = [splitLines(this.child.stdout, onLine), splitLines(this.child.stderr, onLine)];
    // A daemon left behind by a crashed envbox would hold the node's resources with nobody to stop it.
    const killOnExit = () => this.child.kill('SIGTERM');
    process.once('exit', killOnExit);
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.exited = new Promise<Exit>((resolve) => {
      const finish = (code: number | null, signal: string | null) => {
        process.off('exit', killOnExit);
        void Promise.race([closed, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref())]).then(() => {
          flushes.forEach((flush) => flush());
          this.logFile?.end();
          resolve({ code, signal, noSpace: this.sawNoSpace });
        });
      };
      this.child.once('exit', finish);
      // A failed spawn (ENOENT, EACCES: no pid) surfaces as an exit with the reason in the tail.
      this.child.once('error', (error) => {
        if (this.child.pid !== undefined) return;
        onLine(`failed to start ${program}: ${error.message}`);
        finish(null, null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get noSpace(): boolean {
    return this.sawNoSpace;
  }

  /** The last lines kept (scrubbed), oldest first. */
  lines(): readonly string[] {
    return this.recent.all;
  }

  /** The lines that say what went wrong (dockerd logs errors among many debug lines), else the last few. */
  tail(count = 4): string {
    // rootlesskit's "command exited" lines say nothing dockerd's own lines above them did not.
    const errors = this.recent.all.filter((l) => /level=(error|fatal)|failed to start|^Error|error:/i.test(l) && !isWrapperLine(l));
    return (errors.length > 0 ? errors : this.recent.all).slice(-count).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs = DAEMON_STOP_GRACE_MS): Promise<Exit> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      timer.unref();
      let afterFinished: NodeJS.Timeout | undefined;
      void this.finished.then(() => {
        afterFinished = setTimeout(() => this.child.kill('SIGKILL'), FINISHED_EXIT_GRACE_MS);
      });
      const exit = await this.exited;
      clearTimeout(timer);
      clearTimeout(afterFinished);
      return exit;
    }
    return this.exited;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  const file = await stat(path).then((st) => st.isFile(), () => false);
  return file && access(path, constants.X_OK).then(() => true, () => false);
}

/** What `command -v` answers for a program name or path, without a shell start before dockerd's. */
export async function onPath(program: string, path = process.env.PATH ?? ''): Promise<boolean> {
  if (program.includes('/')) return isExecutable(program);
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && await isExecutable(join(dir, program))) return true;
  }
  return false;
}
