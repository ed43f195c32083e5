import { type BuildLogEntry, type Logger, messageOf } from 'envbox';
import { createCoderHttp, type CoderFetch } from './http.js';
import { toCoderLogs, utf8Bytes, type CoderLog } from './lines.js';
import {
  DEFAULT_BATCH_INTERVAL_MS, DEFAULT_BUDGET_BYTES, DEFAULT_MAX_BATCH_LINES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY,
  ENVBOX_LOG_SOURCE, ENVBOX_LOG_SOURCE_ID, MAX_SERVER_ERRORS_PER_BATCH, UNTRUSTED_CERTIFICATE, abortableSleep, backoffDelay, budgetNotice,
  classifyStatus, describeNetworkError, endpointsFor,
} from './policy.js';

export * from './policy.js';

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface CoderLogSinkOptions {
  /** CODER_AGENT_URL. */
  url: string;
  /** CODER_AGENT_TOKEN. Sent as a header, never logged. */
  token: string;
  /** CODER_EXTRA_CERTS_PATH: a PEM file or a directory of them, trusted on top of the system CAs. */
  extraCertsPath?: string;
  logger: Logger;
  fetch?: CoderFetch;
  now?: () => Date;
  sleep?: Sleep;
  batchIntervalMs?: number;
  maxBatchLines?: number;
  budgetBytes?: number;
  retry?: { initialMs: number; maxMs: number };
  requestTimeoutMs?: number;
}

/**
 * open: lines are queued and sent. budget-spent: queued lines are still sent, new ones dropped.
 * overflowed (coderd said 413), refused (coderd will never take them), closed: nothing more is sent.
 */
export type CoderLogSinkState = 'open' | 'budget-spent' | 'overflowed' | 'refused' | 'closed';

export interface CoderLogSinkStats {
  state: CoderLogSinkState;
  sentLines: number;
  queuedLines: number;
  droppedLines: number;
  usedBytes: number;
}

export interface CoderLogSink {
  /** Queues the entry; returns at once and never throws. */
  write(entry: BuildLogEntry): void;
  /** Sends what is queued now, waiting at most `timeoutMs`; never rejects. Sending goes on afterwards. */
  flush(timeoutMs: number): Promise<void>;
  /** Flushes for at most `timeoutMs`, then stops for good: in-flight requests are cut, the rest dropped. */
  close(timeoutMs: number): Promise<void>;
  stats(): CoderLogSinkStats;
}

/**
 * Streams build-log lines to coderd's agent log API. It never delays or fails the start: write()
 * only queues, a single background loop batches and retries, and flush/close are bounded.
 */
export function createCoderLogSink(options: CoderLogSinkOptions): CoderLogSink {
  return new CoderLogStream(options);
}

class CoderLogStream implements CoderLogSink {
  private readonly queue: CoderLog[] = [];
  private readonly drainWaiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly logger: Logger;
  private readonly fetch: CoderFetch;
  private readonly closeHttp: () => Promise<void>;
  private readonly now: () => Date;
  private readonly sleep: Sleep;
  private readonly batchIntervalMs: number;
  private readonly maxBatchLines: number;
  private readonly budgetBytes: number;
  private readonly retry: { initialMs: number; maxMs: number };
  private readonly requestTimeoutMs: number;
  private readonly token: string;
  private readonly endpoints: { logs: string; logSource: string } | undefined;
  private state: CoderLogSinkState = 'open';
  private accepting = true;
  private sourceRegistered = false;
  private urgent = false;
  private warnedUntrusted = false;
  private wakeUp: (() => void) | undefined;
  private usedBytes = 0;
  private sentLines = 0;
  private droppedLines = 0;

  constructor(options: CoderLogSinkOptions) {
    this.logger = options.logger;
    this.token = options.token;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? abortableSleep;
    this.batchIntervalMs = options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS;
    this.maxBatchLines = options.maxBatchLines ?? DEFAULT_MAX_BATCH_LINES;
    this.budgetBytes = options.budgetBytes ?? DEFAULT_BUDGET_BYTES;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.endpoints = endpointsFor(options.url);
    if (options.fetch) {
      this.fetch = options.fetch;
      this.closeHttp = async () => undefined;
    } else {
      const http = createCoderHttp({ extraCertsPath: options.extraCertsPath, logger: options.logger });
      this.fetch = http.fetch;
      this.closeHttp = http.close;
    }
    if (!this.endpoints) {
      this.logger.warn('coder logs: CODER_AGENT_URL is not a valid http(s) URL; the build log goes only to the pod log');
      this.state = 'refused';
      this.accepting = false;
      return;
    }
    this.logger.debug({ coderd: new URL(this.endpoints.logs).origin }, 'coder logs: streaming the build log to coderd');
    void this.run().catch((error: unknown) => this.logger.debug({ error: this.scrub(messageOf(error)) }, 'coder logs: sender stopped'));
  }

  write(entry: BuildLogEntry): void {
    try {
      if (!this.accepting) return;
      const wasEmpty = this.queue.length === 0;
      for (const log of toCoderLogs(entry, this.now)) if (this.accepting) this.enqueue(log);
      if (wasEmpty || this.queue.length >= this.maxBatchLines) this.wakeUp?.();
    } catch (error) {
      this.logger.debug({ error: messageOf(error) }, 'coder logs: could not queue a line');
    }
  }

  async flush(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0 || !this.sending()) return;
    this.urgent = true;
    this.wakeUp?.();
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.drainWaiters.delete(finish);
        resolve();
      };
      // Deliberately not unref'd: whoever awaits a flush wants the process to live that long.
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      this.drainWaiters.add(finish);
    });
  }

  async close(timeoutMs: number): Promise<void> {
    try {
      if (this.state === 'closed') return;
      this.accepting = false;
      await this.flush(timeoutMs);
      const left = this.queue.length;
      const wasSending = this.sending();
      this.stop('closed');
      if (left > 0 && wasSending) {
        this.logger.warn({ lines: left, timeoutMs }, 'coder logs: coderd did not take the last lines in time; they are in the pod log');
      }
      await this.closeHttp();
    } catch (error) {
      this.logger.debug({ error: messageOf(error) }, 'coder logs: close failed');
    }
  }

  stats(): CoderLogSinkStats {
    return { state: this.state, sentLines: this.sentLines, queuedLines: this.queue.length, droppedLines: this.droppedLines, usedBytes: this.usedBytes };
  }

  private enqueue(log: CoderLog): void {
    const bytes = utf8Bytes(log.output);
    const notice = budgetNotice(this.budgetBytes);
    if (this.usedBytes + bytes + utf8Bytes(notice) > this.budgetBytes) {
      this.queue.push({ created_at: this.now().toISOString(), output: notice, level: 'info' });
      this.usedBytes += utf8Bytes(notice);
      this.state = 'budget-spent';
      this.accepting = false;
      this.logger.debug({ budgetBytes: this.budgetBytes }, 'coder logs: byte budget spent; further lines only in the pod log');
      return;
    }
    this.usedBytes += bytes;
    this.queue.push(log);
  }

  private sending(): boolean {
    return this.state === 'open' || this.state === 'budget-spent';
  }

  private stop(state: CoderLogSinkState): void {
    if (!this.sending()) return;
    this.state = state;
    this.accepting = false;
    this.droppedLines += this.queue.length;
    this.queue.length = 0;
    this.abort.abort();
    this.wakeUp?.();
    this.resolveDrainWaiters();
  }

  private resolveDrainWaiters(): void {
    this.urgent = false;
    for (const finish of [...this.drainWaiters]) finish();
  }

  /** The one sender: waits for lines, lets a batch gather, delivers it, repeats. */
  private async run(): Promise<void> {
    while (this.sending()) {
      if (this.queue.length === 0) {
        this.resolveDrainWaiters();
        await this.waitForWake();
        continue;
      }
      if (!this.urgent && this.queue.length < this.maxBatchLines) await this.waitForWake(this.batchIntervalMs);
      if (!this.sending() || this.queue.length === 0) continue;
      const batch = this.queue.slice(0, this.maxBatchLines);
      const delivered = await this.deliver(batch);
      if (!this.sending()) break;
      this.queue.splice(0, batch.length);
      if (delivered) this.sentLines += batch.length;
      else this.droppedLines += batch.length;
    }
    this.resolveDrainWaiters();
  }

  private async deliver(batch: CoderLog[]): Promise<boolean> {
    const endpoints = this.endpoints!;
    if (!this.sourceRegistered) {
      const registered = await this.send(endpoints.logSource, 'POST', ENVBOX_LOG_SOURCE, 'log source');
      if (registered !== 'ok') return false;
      this.sourceRegistered = true;
    }
    const body = { log_source_id: ENVBOX_LOG_SOURCE_ID, logs: batch };
    return (await this.send(endpoints.logs, 'PATCH', body, 'logs')) === 'ok';
  }

  /** One request, retried while coderd is not ready. 'dropped' means: give up on this batch only. */
  private async send(url: string, method: 'POST' | 'PATCH', body: unknown, what: string): Promise<'ok' | 'dropped' | 'stopped'> {
    const payload = JSON.stringify(body);
    let serverErrors = 0;
    for (let attempt = 0; this.sending(); attempt += 1) {
      const answer = await this.request(url, method, payload);
      if (!this.sending()) return 'stopped';
      const outcome = answer.status === undefined ? 'retry' : classifyStatus(answer.status);
      if (outcome === 'ok') return 'ok';
      if (outcome === 'overflow') {
        this.logger.warn('coder logs: coderd\'s log limit for this agent (1 MiB, shared with the startup script) is spent; the rest of the build log is only in the pod log');
        this.stop('overflowed');
        return 'stopped';
      }
      if (outcome === 'refused') {
        this.logger.warn({ status: answer.status, what, detail: answer.detail }, 'coder logs: coderd refused the build log; it goes only to the pod log');
        this.stop('refused');
        return 'stopped';
      }
      if (outcome === 'bad-request') {
        this.logger.warn({ status: answer.status, what, detail: answer.detail }, 'coder logs: coderd rejected a batch of lines; dropped it');
        return 'dropped';
      }
      if (answer.status === 500 && ++serverErrors >= MAX_SERVER_ERRORS_PER_BATCH) {
        this.logger.warn({ status: answer.status, what, detail: answer.detail, attempts: attempt + 1 }, 'coder logs: coderd keeps failing on a batch of lines; dropped it');
        return 'dropped';
      }
      const delayMs = backoffDelay(attempt, this.retry);
      this.logger.debug({ status: answer.status, what, detail: answer.detail, attempt: attempt + 1, delayMs }, 'coder logs: coderd not ready, will retry');
      await this.sleep(delayMs, this.abort.signal);
    }
    return 'stopped';
  }

  private async request(url: string, method: string, body: string): Promise<{ status?: number; detail: string }> {
    try {
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.requestTimeoutMs)]);
      const headers = { 'Coder-Session-Token': this.token, 'Content-Type': 'application/json', Accept: 'application/json' };
      const response = await this.fetch(url, { method, headers, body, signal });
      const text = await response.text().catch(() => '');
      return { status: response.status, detail: this.scrub(text.slice(0, 300)) };
    } catch (error) {
      this.warnIfUntrusted(error);
      return { detail: this.scrub(describeNetworkError(error)) };
    }
  }

  /** Retrying goes on (a proxy may be to blame), but the likely fix is worth one warning. */
  private warnIfUntrusted(error: unknown): void {
    const code = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
    if (this.warnedUntrusted || typeof code !== 'string' || !UNTRUSTED_CERTIFICATE.has(code)) return;
    this.warnedUntrusted = true;
    this.logger.warn({ code }, 'coder logs: coderd\'s TLS certificate is not trusted; set CODER_EXTRA_CERTS_PATH to its CA certificate. Retrying.');
  }

  /** Belt and braces: a server or an error that echoes the token must not put it in our log. */
  private scrub(text: string): string {
    return this.token.length >= 4 ? text.split(this.token).join('[redacted]') : text;
  }

  private waitForWake(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = new AbortController();
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        timer.abort();
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      if (ms !== undefined) this.sleep(ms, AbortSignal.any([timer.signal, this.abort.signal])).then(done, done);
      if (!this.sending()) done();
    });
  }
}
