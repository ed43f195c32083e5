import { SecretScrubber } from './scrub.js';

/**
 * The build log: JSON lines on stderr, `{"output","time","type"}`, the shape coder/envbox emits
 * and existing tooling reads. Other sinks (coderd) receive the same entries.
 */
export type BuildLogType = 'info' | 'error' | 'done';

export interface BuildLogEntry {
  output: string;
  time: string;
  type: BuildLogType;
}

export interface BuildLogSink {
  write(entry: BuildLogEntry): void;
  /** Sends what is queued, giving up after `timeoutMs`; never rejects. */
  flush?(timeoutMs: number): Promise<void>;
}

export class BuildLog {
  private readonly sinks: BuildLogSink[] = [];

  constructor(
    private readonly stream: { write(text: string): unknown } = process.stderr,
    private readonly now: () => Date = () => new Date(),
    private readonly secrets: SecretScrubber = new SecretScrubber(),
  ) {}

  addSink(sink: BuildLogSink): void {
    this.sinks.push(sink);
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

  async flush(timeoutMs: number): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush?.(timeoutMs)));
  }

  scrub(text: string): string {
    return this.secrets.scrub(text);
  }

  private emit(type: BuildLogType, output: string): void {
    const entry: BuildLogEntry = { output: this.scrub(output), time: this.now().toISOString(), type };
    this.stream.write(`${JSON.stringify(entry)}\n`);
    for (const sink of this.sinks) sink.write(entry);
  }
}
