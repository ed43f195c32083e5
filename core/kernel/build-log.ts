import { messageOf } from './errors.js';
import { quoteBounded } from './control-chars.js';
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
interface BuildLogListener {
  call(entry: BuildLogEntry): void;
}

/** Lines kept for a listener that is not attached yet; a build log that never gets one must not grow without end. */
const MAX_PENDING = 1000;

/**
 * Distinct warnings kept for a warning listener that comes later (the status file exists only once the
 * inputs are read); a plugin that warns once per line must not grow them, or the status file, without end.
 */
export const MAX_KEPT_WARNINGS = 50;
/** Each kept warning is cut to this: 50 of them stay far below the 1 MiB that `envbox status` reads of its file. */
export const MAX_KEPT_WARNING_CHARS = 4096;

export class BuildLog {
  private listener: BuildLogListener | undefined;
  /** Lines written before the listener is attached (while inputs are still being checked). */
  private pending: BuildLogEntry[] = [];
  private delivering = false;
  private readonly failedListeners = new Set<string>();
  private readonly warningListeners: Array<(text: string) => void> = [];
  /** Each distinct warning so far, for listeners that subscribe after it (see MAX_KEPT_WARNINGS). */
  private readonly warnings: string[] = [];

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

  /**
   * The one way envbox warns, whoever warns (the core, a plugin's `buildLog.warn`, or `log.warn`, which
   * the logger turns into a call of this, or of `keepWarning` under CODER_DEBUG): a line starting
   * "Warning: " that does not stop the start, also kept for `envbox status` (something the user asked for
   * that envbox could not do, say). The text is scrubbed first.
   */
  warn(output: string): void {
    const text = this.scrub(output);
    this.emit('info', `Warning: ${text}`);
    this.record(text);
  }

  /** A warning the debug log has already written (as a pino line): kept for `envbox status` like any other, not written twice. */
  keepWarning(output: string): void {
    this.record(this.scrub(output));
  }

  /** Called with the text of every distinct warning: those before this call (up to MAX_KEPT_WARNINGS) at once, then each later one. */
  onWarning(listener: (text: string) => void): void {
    this.warningListeners.push(listener);
    for (const text of this.warnings) listener(text);
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

  private record(whole: string): void {
    const text = quoteBounded(whole, MAX_KEPT_WARNING_CHARS);
    if (this.warnings.includes(text) || this.warnings.length >= MAX_KEPT_WARNINGS) return;
    this.warnings.push(text);
    for (const listener of this.warningListeners) listener(text);
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
        // Straight to the stream: the listener that failed is the one `warn` would hand the line to.
        this.stream.write(`${JSON.stringify({ output: `Warning: ${message}`, time: this.now().toISOString(), type: 'info' })}\n`);
        this.record(message);
      }
    } finally {
      this.delivering = false;
    }
  }
}
