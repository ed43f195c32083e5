import { messageOf } from 'envbox';

const PROBE_TIMEOUT_MS = 5_000;

/**
 * Whether a mirror answers at all (any HTTP status from /v2/ counts: 401 is a mirror that wants a
 * login). Only reachability is asked, so certificates are not checked here; dockerd checks them.
 * The proxy env vars apply as they do for dockerd. Resolves with why it did not answer, or null.
 */
export async function probeMirror(mirror: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | null> {
  const { request, EnvHttpProxyAgent } = await import('undici');
  const dispatcher = new EnvHttpProxyAgent({ connect: { rejectUnauthorized: false }, requestTls: { rejectUnauthorized: false } });
  try {
    const response = await request(`${mirror}/v2/`, { dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    // It answered: that is all that is asked. Its body is never kept, and an endless one is cut
    // after 64 KiB (undici's dump discards what it reads); how the cut ends does not matter.
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    return null;
  } catch (error) {
    return describeNetworkError(error);
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer within 5 s';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.message ?? cause?.code ?? messageOf(error);
}
