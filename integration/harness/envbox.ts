import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface BuildLogLine {
  output: string;
  time: string;
  type: 'info' | 'error' | 'done';
}

export type DebugLine = Record<string, unknown> & { level: number | string; msg?: string };

interface Waiter {
  what: string;
  match: (line: BuildLogLine) => boolean;
  failOnError: boolean;
  resolve: (line: BuildLogLine) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One running `envbox` process: every byte it writes is kept (secret searches read them all),
 * stderr is parsed into build-log lines and pino debug lines, and waits fail with the last lines seen.
 */
export class EnvboxRun {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private readonly stdoutChunks: Buffer[] = [];
  private readonly stderrChunks: Buffer[] = [];
  private partial = '';
  private readonly lines: BuildLogLine[] = [];
  private readonly debug: DebugLine[] = [];
  private readonly rawStderrLines: string[] = [];
  private readonly waiters = new Set<Waiter>();
  private exitStatus: ExitStatus | null = null;
  private readonly listeners: ((line: BuildLogLine | { raw: string }) => void)[] = [];

  constructor(private readonly child: ChildProcess, private readonly dockerdLogPath: string, readonly label: string) {
    if (child.pid === undefined) throw new Error(`${label}: spawn failed`);
    this.pid = child.pid;
    child.stdout?.on('data', (d: Buffer) => this.stdoutChunks.push(d));
    child.stderr?.on('data', (d: Buffer) => this.onStderr(d));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitStatus = { code, signal };
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`${label} exited (code ${code}, signal ${signal}) before ${w.what}\n${this.tail()}`));
        }
        this.waiters.clear();
        resolve(this.exitStatus);
      });
    });
  }

  private onStderr(chunk: Buffer): void {
    this.stderrChunks.push(chunk);
    this.partial += chunk.toString('utf8');
    const parts = this.partial.split('\n');
    this.partial = parts.pop() ?? '';
    for (const raw of parts) this.onLine(raw);
  }

  private onLine(raw: string): void {
    if (raw.trim() === '') return;
    this.rawStderrLines.push(raw);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      for (const l of this.listeners) l({ raw });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const obj = parsed as Record<string, unknown>;
    if ('level' in obj) {
      this.debug.push(obj as DebugLine);
      return;
    }
    if (typeof obj.output === 'string' && (obj.type === 'info' || obj.type === 'error' || obj.type === 'done')) {
      const line = obj as unknown as BuildLogLine;
      this.lines.push(line);
      for (const l of this.listeners) l(line);
      for (const w of [...this.waiters]) {
        if (w.match(line)) {
          clearTimeout(w.timer);
          this.waiters.delete(w);
          w.resolve(line);
        } else if (w.failOnError && line.type === 'error') {
          clearTimeout(w.timer);
          this.waiters.delete(w);
          w.reject(new Error(`${this.label} logged an error before ${w.what}: ${line.output}\n${this.tail()}`));
        }
      }
    }
  }

  /** Called with each build-log line, and with each stderr line that is not JSON (pino lines are left out). */
  subscribe(listener: (line: BuildLogLine | { raw: string }) => void): void {
    this.listeners.push(listener);
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  buildLog(): BuildLogLine[] {
    return [...this.lines];
  }

  debugLines(): DebugLine[] {
    return [...this.debug];
  }

  stdoutText(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  stderrText(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** stdout, stderr and dockerd's log: every byte that could leak a secret. */
  async capturedText(): Promise<string> {
    const dockerd = await readFile(this.dockerdLogPath, 'utf8').catch(() => '');
    return `${this.stdoutText()}\n${this.stderrText()}\n${dockerd}`;
  }

  /** The last lines seen on stderr (all kinds), for failure messages. */
  tail(n = 40): string {
    const lines = this.rawStderrLines.slice(-n);
    const out = this.stdoutText().trim();
    return `--- last ${lines.length} stderr lines of ${this.label} ---\n${lines.join('\n')}${this.partial ? `\n${this.partial}` : ''}`
      + (out ? `\n--- stdout ---\n${out.slice(-2000)}` : '');
  }

  /** Resolves with the first build-log line (already seen or future) that matches. */
  waitForLine(match: (line: BuildLogLine) => boolean, what: string, options: { timeoutMs?: number; failOnError?: boolean } = {}): Promise<BuildLogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    const failOnError = options.failOnError ?? false;
    if (failOnError) {
      const error = this.lines.find((l) => l.type === 'error');
      if (error) return Promise.reject(new Error(`${this.label} logged an error before ${what}: ${error.output}\n${this.tail()}`));
    }
    if (this.exitStatus) {
      return Promise.reject(new Error(`${this.label} had exited (code ${this.exitStatus.code}) before ${what}\n${this.tail()}`));
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        what, match, failOnError, resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`${what} not seen after ${timeoutMs} ms\n${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The `done` line: the workspace is up. An `error` line or an exit first fails the wait. */
  waitForDone(timeoutMs = 120_000): Promise<BuildLogLine> {
    return this.waitForLine((l) => l.type === 'done', 'the build log\'s "done" line', { timeoutMs, failOnError: true });
  }

  waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<BuildLogLine> {
    return this.waitForLine((l) => pattern.test(l.output), `a build-log line matching ${pattern}`, { timeoutMs });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Waits for the exit; a run still alive after `timeoutMs` is an error (the test decides what that means). */
  async waitForExit(timeoutMs = 60_000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => { timer = setTimeout(() => r(null), timeoutMs); });
    const status = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (status === null) throw new Error(`${this.label} did not exit within ${timeoutMs} ms\n${this.tail()}`);
    return status;
  }

  /** SIGTERM, then the exit status. */
  async stop(timeoutMs = 60_000): Promise<ExitStatus> {
    this.signal('SIGTERM');
    return this.waitForExit(timeoutMs);
  }

  /** SIGKILL without waiting, for cleanup after a failure. */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
