import { messageOf } from 'envbox';

/** What the log sink sends where, how long it waits, and what coderd's answers mean. */
/** Fixed, so that every envbox start files its lines under the same "envbox" source in the dashboard. */
export const ENVBOX_LOG_SOURCE_ID = '5c9e4b0e-6f3a-4d8e-9b1c-e7a0f2d4c8b6';
export const ENVBOX_LOG_SOURCE = { id: ENVBOX_LOG_SOURCE_ID, display_name: 'envbox', icon: '/icon/docker.svg' } as const;

export const DEFAULT_BATCH_INTERVAL_MS = 1000;
export const DEFAULT_MAX_BATCH_LINES = 100;
/** coderd keeps 1 MiB per agent, shared with the startup script: envbox takes a quarter at most. */
export const DEFAULT_BUDGET_BYTES = 256 * 1024;
export const DEFAULT_RETRY = { initialMs: 250, maxMs: 8000 } as const;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A 500 that repeats for the same batch is that batch's fault (coderd answers 500 to lines it cannot store). */
export const MAX_SERVER_ERRORS_PER_BATCH = 6;

/** TLS errors that mean: coderd's certificate chain is not trusted here (CODER_EXTRA_CERTS_PATH fixes them). */
export const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED',
]);

export function backoffDelay(attempt: number, retry: { initialMs: number; maxMs: number } = DEFAULT_RETRY): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt, 30));
}

type Outcome = 'ok' | 'retry' | 'bad-request' | 'overflow' | 'refused';

/** 401 is normal until the workspace build completes; 5xx and timeouts while coderd restarts. */
export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401 || status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 400) return 'bad-request';
  if (status === 413) return 'overflow';
  return 'refused';
}

export function endpointsFor(url: string): { logs: string; logSource: string } | undefined {
  try {
    const base = new URL(url);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') return undefined;
    const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    // Credentials in the URL would travel as basic auth; coderd takes only the session token header.
    return { logs: `${root}/api/v2/workspaceagents/me/logs`, logSource: `${root}/api/v2/workspaceagents/me/log-source` };
  } catch {
    return undefined;
  }
}

export function budgetNotice(budgetBytes: number): string {
  return `envbox: the build log passed ${Math.round(budgetBytes / 1024)} KiB, more than envbox sends to Coder; the rest is in the pod log (kubectl logs <pod>).`;
}

export function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const reason = cause?.code ?? cause?.message;
  return reason ? `${messageOf(error)} (${reason})` : messageOf(error);
}

/** Resolves after `ms`, or at once when `signal` aborts. Unref'd: a waiting sender keeps no process alive. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    timer.unref();
    signal.addEventListener('abort', finish, { once: true });
  });
}
