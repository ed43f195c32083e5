import { createWriteStream, type WriteStream } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from '../log/logger.js';
import { DAEMON_STOP_GRACE_MS } from '../lifecycle/shutdown-budget.js';

/** How long a daemon that said its shutdown is complete may take to exit by itself. */
export const FINISHED_EXIT_GRACE_MS = 100;

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

/**
 * A supervised background daemon. It runs in its own process group so that a Ctrl-C meant for
 * envbox does not reach it; envbox stops it in order instead.
 */
export class ManagedProcess {
  private readonly child: ResultPromise;
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
    this.child = execa(program, args, {
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      env: options.env,
      all: true,
      cleanup: true,
    });
    const onLine = (line: string) => {
      if (this.stopping && options.finishedLine?.test(line)) this.reportFinished();
      const clean = options.scrub(line);
      this.recent.push(clean);
      if (/no space left on device/i.test(clean)) this.sawNoSpace = true;
      this.logFile?.write(`${clean}\n`);
      options.log.debug({ process: name, line: clean }, 'daemon output');
    };
    this.child.all?.setEncoding('utf8');
    let partial = '';
    this.child.all?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      parts.forEach(onLine);
    });
    this.exited = this.child.then((result) => {
      if (partial) onLine(partial);
      this.logFile?.end();
      return { code: result.exitCode ?? null, signal: result.signal ?? null, noSpace: this.sawNoSpace };
    });
    // A failed spawn (ENOENT) surfaces as an exit; a daemon that dies is caught by its supervisor.
    this.exited.catch(() => undefined);
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

  /** The lines that say what went wrong (dockerd logs errors among many debug lines), else the last few. */
  tail(count = 4): string {
    const errors = this.recent.all.filter((l) => /level=(error|fatal)|failed to start|^Error|error:/i.test(l));
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

export async function onPath(program: string): Promise<boolean> {
  const result = await execa('sh', ['-c', `command -v "$1"`, 'sh', program], { reject: false });
  return result.exitCode === 0;
}
