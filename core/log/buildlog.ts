import { messageOf } from '../errors.js';
import { SecretScrubber } from './scrub.js';

/**
 * The build log: JSON lines on stderr, `{"output","time","type"}`, the shape coder/envbox emits
 * and existing tooling reads. Plugins receive the same entries, scrubbed, through the `buildLog`
 * hook (the coder-logs plugin forwards them to coderd).
 */
export type BuildLogType = 'info' | 'error' | 'done';

export interface BuildLogEntry {
  readonly output: string;
  readonly time: string;
  readonly type: BuildLogType;
}

/** The `buildLog` hook as the build log calls it. */
export interface BuildLogListener {
  call(entry: BuildLogEntry): void;
}

/** Lines kept for a listener that is not attached yet; a build log that never gets one must not grow without end. */
const MAX_PENDING = 1000;

export class BuildLog {
  private listener: BuildLogListener | undefined;
  /** Lines written before the listener is attached (while inputs are still being checked). */
  private pending: BuildLogEntry[] = [];
  private delivering = false;
  private readonly failedListeners = new Set<string>();

  constructor(
    private readonly stream: { write(text: string): unknown } = process.stderr,
    private readonly now: () => Date = () => new Date(),
    private readonly secrets: SecretScrubber = new SecretScrubber(),
  ) {}

  /** From now on every line also goes to `listener`; lines written before are replayed first. */
  attach(listener: BuildLogListener): void {
    this.listener = listener;
    const pending = this.pending;
    this.pending = [];
    pending.forEach((entry) => this.deliver(entry));
  }

  /** Values that must never be written, whatever line they hide in. */
  redact(values: string[]): void {
    this.secrets.add(values);
  }

  info(output: string): void {
    this.emit('info', output);
  }

  error(output: string): void {
    this.emit('error', output);
  }

  done(output = ''): void {
    this.emit('done', output);
  }

  scrub(text: string): string {
    return this.secrets.scrub(text);
  }

  private emit(type: BuildLogType, output: string): void {
    const entry: BuildLogEntry = Object.freeze({ output: this.scrub(output), time: this.now().toISOString(), type });
    this.stream.write(`${JSON.stringify(entry)}\n`);
    if (this.listener) this.deliver(entry);
    else if (this.pending.length < MAX_PENDING) this.pending.push(entry);
  }

  /** A failing or re-entrant listener never stops envbox: it is reported once, and a line it writes itself is not fed back. */
  private deliver(entry: BuildLogEntry): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      this.listener?.call(entry);
    } catch (error) {
      const message = this.scrub(messageOf(error));
      if (!this.failedListeners.has(message)) {
        this.failedListeners.add(message);
        this.stream.write(`${JSON.stringify({ output: `Warning: ${message}`, time: this.now().toISOString(), type: 'info' })}\n`);
      }
    } finally {
      this.delivering = false;
    }
  }
}
