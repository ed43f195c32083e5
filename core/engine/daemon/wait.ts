import { EnvboxError, messageOf } from '../../kernel/errors.js';

interface WaitOptions {
  timeoutMs: number;
  /** Rejects when the daemon exits before it answers. */
  exited?: Promise<string>;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One ping, given up when the overall time runs out, the daemon exits, or a stop is requested. */
function boundedAttempt(attempt: Promise<void>, remainingMs: number, options: WaitOptions): Promise<void> {
  attempt.catch(() => undefined);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error as Error);
    };
    const timer = setTimeout(() => settle(new Error(`no answer within ${remainingMs} ms`)), remainingMs);
    const onAbort = () => settle(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    options.exited?.then((reason) => settle(new EnvboxError(`dockerd exited before it answered: ${reason}`)), () => undefined);
    attempt.then(() => settle(), (error: unknown) => settle(error ?? new Error('ping failed')));
  });
}

/**
 * Pings until the daemon answers. The final error carries the cause of every failed attempt,
 * counted, so "ECONNREFUSED (40x)" tells the user whether the socket ever appeared.
 */
export async function waitForPing(ping: () => Promise<void>, options: WaitOptions): Promise<number> {
  const sleep = options.sleep ?? delay;
  const now = options.now ?? Date.now;
  const started = now();
  const causes = new Map<string, number>();
  let exitReason: string | undefined;
  options.exited?.then((reason) => { exitReason = reason; }, () => undefined);
  let attempts = 0;
  let pause = 50;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (exitReason !== undefined) throw new EnvboxError(`dockerd exited before it answered: ${exitReason}`);
    attempts++;
    try {
      await boundedAttempt(ping(), Math.max(1, options.timeoutMs - (now() - started)), options);
      return attempts;
    } catch (error) {
      const cause = messageOf(error).replace(/\s+/g, ' ').slice(0, 200);
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
    }
    if (now() - started >= options.timeoutMs) {
      const summary = [...causes].map(([cause, count]) => `${cause} (${count}x)`).join('; ');
      throw new EnvboxError(`dockerd did not answer its ping within ${Math.round(options.timeoutMs / 1000)} s after ${attempts} attempts: ${summary}`);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 1000);
  }
}
