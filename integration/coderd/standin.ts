import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A coderd stand-in for the agent log API, on 127.0.0.1 over TLS. It enforces the rules that
 * current coderd enforces (the facts are in docs/coder-logs.md), so a sink that passes here should pass there:
 * - the `Coder-Session-Token` header, and a 401 for the first `unauthorizedFirst` requests
 *   (an agent token is not valid until the workspace build completes);
 * - PATCH bodies: 400 when not JSON or not the shape, or when `logs` is empty;
 *   500 for a line over 1024 characters, a NUL, or invalid UTF-8 (Postgres refuses them), and
 *   for a log source that was never created (a foreign key);
 * - 413 once the agent's logs would pass `logLimitBytes` (1 MiB, shared with the startup script),
 *   and for every PATCH after that;
 * - POST log-source: 201, idempotent for the same id.
 */
export interface CoderdStandInOptions {
  token: string;
  cert: string;
  key: string;
  unauthorizedFirst?: number;
  logLimitBytes?: number;
  /** Bytes the agent's own startup script has already used of the limit. */
  alreadyUsedBytes?: number;
}

export interface ReceivedLog {
  log_source_id: string;
  created_at: string;
  output: string;
  level: string;
}

export interface StandInRequest {
  method: string;
  path: string;
  status: number;
  lines: number;
}

export interface CoderdStandIn {
  url: string;
  received: ReceivedLog[];
  requests: StandInRequest[];
  sources: Map<string, { display_name: string; icon: string }>;
  usedBytes(): number;
  close(): Promise<void>;
}

export const CODERD_LOG_LIMIT_BYTES = 1 << 20;
const MAX_OUTPUT_CHARS = 1024;
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export async function startCoderdStandIn(options: CoderdStandInOptions): Promise<CoderdStandIn> {
  const limit = options.logLimitBytes ?? CODERD_LOG_LIMIT_BYTES;
  const received: ReceivedLog[] = [];
  const requests: StandInRequest[] = [];
  const sources = new Map<string, { display_name: string; icon: string }>();
  let used = options.alreadyUsedBytes ?? 0;
  let overflowed = false;
  let unauthorizedLeft = options.unauthorizedFirst ?? 0;

  function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): { status: number; lines: number } {
    const path = new URL(req.url ?? '/', 'https://stand-in').pathname;
    if (req.method === 'GET' && path === '/api/v2/buildinfo') return reply(res, 200, { version: 'v2.20.0-standin' });
    if (unauthorizedLeft > 0) {
      unauthorizedLeft -= 1;
      return reply(res, 401, { message: 'Workspace agent not authorized.' });
    }
    if (req.headers['coder-session-token'] !== options.token) return reply(res, 401, { message: 'Invalid session token.' });

    if (req.method === 'POST' && path === '/api/v2/workspaceagents/me/log-source') {
      const body = parseJson(raw) as { id?: unknown; display_name?: unknown; icon?: unknown } | undefined;
      if (!body || typeof body.id !== 'string' || !UUID.test(body.id) || typeof body.display_name !== 'string' || body.display_name === '' || typeof body.icon !== 'string') {
        return reply(res, 400, { message: 'Invalid log source.' });
      }
      sources.set(body.id, { display_name: body.display_name, icon: body.icon });
      return reply(res, 201, body);
    }

    if (req.method === 'PATCH' && path === '/api/v2/workspaceagents/me/logs') {
      if (!isUtf8(raw)) return reply(res, 500, { message: 'Failed to upload logs', detail: 'invalid byte sequence for encoding "UTF8"' });
      const body = parseJson(raw) as { log_source_id?: unknown; logs?: unknown } | undefined;
      if (!body || typeof body.log_source_id !== 'string' || !UUID.test(body.log_source_id) || !Array.isArray(body.logs)) {
        return reply(res, 400, { message: 'Request body must be valid JSON.' });
      }
      if (body.logs.length === 0) return reply(res, 400, { message: 'No logs provided.' });
      const logs: ReceivedLog[] = [];
      for (const log of body.logs as Array<Record<string, unknown>>) {
        if (typeof log.output !== 'string' || typeof log.created_at !== 'string' || !RFC3339.test(log.created_at) || typeof log.level !== 'string' || !LEVELS.has(log.level)) {
          return reply(res, 400, { message: 'Invalid log entry.' });
        }
        logs.push({ log_source_id: body.log_source_id, created_at: log.created_at, output: log.output, level: log.level });
      }
      if (overflowed) return reply(res, 413, { message: 'Logs limit exceeded' });
      if (!sources.has(body.log_source_id)) return reply(res, 500, { message: 'Failed to upload logs', detail: 'violates foreign key constraint "workspace_agent_logs_log_source_id_fkey"' });
      for (const log of logs) {
        if (log.output.includes('\u0000')) return reply(res, 500, { message: 'Failed to upload logs', detail: 'invalid byte sequence for encoding "UTF8": 0x00' });
        if (LONE_SURROGATE.test(log.output)) return reply(res, 500, { message: 'Failed to upload logs', detail: 'invalid byte sequence for encoding "UTF8"' });
        if ([...log.output].length > MAX_OUTPUT_CHARS) return reply(res, 500, { message: 'Failed to upload logs', detail: 'value too long for type character varying(1024)' });
      }
      const bytes = logs.reduce((sum, log) => sum + Buffer.byteLength(log.output, 'utf8'), 0);
      if (used + bytes > limit) {
        overflowed = true;
        return reply(res, 413, { message: 'Logs limit exceeded' });
      }
      used += bytes;
      received.push(...logs);
      return { ...reply(res, 200, {}), lines: logs.length };
    }
    return reply(res, 404, { message: 'Route not found.' });
  }

  const server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const result = answer(req, res, Buffer.concat(chunks));
      requests.push({ method: req.method ?? '', path: req.url ?? '', ...result });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    received,
    requests,
    sources,
    usedBytes: () => used,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): { status: number; lines: number } {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return { status, lines: 0 };
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isUtf8(raw: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return true;
  } catch {
    return false;
  }
}
