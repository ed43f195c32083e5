import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { createCoderLogSink, type CoderLogSink } from './sink.js';

// Real servers and the real fetch path (undici, the extra-CA loading): no fake fetch here.
const TOKEN = 'agent-token-7a1b2c3d4e';
const dir = mkdtempSync(join(tmpdir(), 'envbox-token-origin-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
  '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });

interface Seen { path: string; method: string; token: string | undefined }

/** A server that records what reached it and answers with `handler`. */
function recording(kind: 'http' | 'https', handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url ?? '', method: req.method ?? '', token: req.headers['coder-session-token'] as string | undefined });
    req.resume();
    req.on('end', () => handler(req, res));
  };
  const server: Server = kind === 'https' ? createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, listener) : createHttpServer(listener);
  return {
    seen,
    server,
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `${kind}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}

const okay = (req: IncomingMessage, res: ServerResponse) => { res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end('{}'); };
const servers: Server[] = [];
const sinks: CoderLogSink[] = [];
after(async () => {
  await Promise.all(sinks.map((s) => s.close(0)));
  for (const server of servers) server.closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

async function started<T extends ReturnType<typeof recording>>(server: T): Promise<[T, string]> {
  servers.push(server.server);
  return [server, await server.start()];
}

function sink(url: string, warnings: string[]): CoderLogSink {
  const logger = pino({ level: 'debug' }, { write: (line: string) => { const l = JSON.parse(line) as { level: number; msg: string; detail?: string }; if (l.level >= 40) warnings.push(`${l.msg} ${l.detail ?? ''}`); } });
  const created = createCoderLogSink({ url, token: TOKEN, extraCertsPath: certFile, logger, batchIntervalMs: 1, retry: { initialMs: 1, maxMs: 1 } });
  sinks.push(created);
  return created;
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
}

describe('the agent token stays with CODER_AGENT_URL\'s origin', () => {
  const line = { type: 'info' as const, output: 'hello', time: new Date().toISOString() };

  it('is not sent over plain HTTP to another port when coderd (HTTPS) redirects there; the sink stops and says where it pointed', { timeout: 20_000 }, async () => {
    const [elsewhere, elsewhereUrl] = await started(recording('http', okay));
    const [coderd, coderdUrl] = await started(recording('https', (_req, res) => { res.writeHead(307, { location: `${elsewhereUrl}/api/v2/stolen` }).end(); }));
    const warnings: string[] = [];
    const logs = sink(coderdUrl, warnings);
    logs.write(line);
    await until(() => logs.stats().state !== 'open' || elsewhere.seen.length > 0);
    assert.equal(coderd.seen.length, 1, 'coderd itself got the request');
    assert.equal(coderd.seen[0]?.token, TOKEN);
    assert.deepEqual(elsewhere.seen, [], 'the other origin never saw a request, so never the token');
    assert.equal(logs.stats().state, 'refused');
    assert.match(warnings.join('\n'), new RegExp(`redirect to ${elsewhereUrl.replace(/[.:/]/g, '\\$&')}, another origin`));
  });

  it('is not sent to another HTTPS origin (another port) either', { timeout: 20_000 }, async () => {
    const [elsewhere, elsewhereUrl] = await started(recording('https', okay));
    const [, coderdUrl] = await started(recording('https', (_req, res) => { res.writeHead(308, { location: `${elsewhereUrl}/api/v2/workspaceagents/me/log-source` }).end(); }));
    const logs = sink(coderdUrl, []);
    logs.write(line);
    await until(() => logs.stats().state !== 'open' || elsewhere.seen.length > 0);
    assert.deepEqual(elsewhere.seen, []);
  });

  it('follows a 307 within the same origin, with the token, and delivers the lines', { timeout: 20_000 }, async () => {
    const [coderd, coderdUrl] = await started(recording('https', (req, res) => {
      if (req.url?.startsWith('/old/')) res.writeHead(307, { location: req.url.slice('/old'.length) }).end();
      else okay(req, res);
    }));
    const logs = sink(`${coderdUrl}/old`, []);
    logs.write(line);
    await until(() => logs.stats().sentLines === 1);
    assert.deepEqual(coderd.seen.map((s) => [s.method, s.path, s.token]), [
      ['POST', '/old/api/v2/workspaceagents/me/log-source', TOKEN], ['POST', '/api/v2/workspaceagents/me/log-source', TOKEN],
      ['PATCH', '/old/api/v2/workspaceagents/me/logs', TOKEN], ['PATCH', '/api/v2/workspaceagents/me/logs', TOKEN],
    ]);
  });

  it('reads only the start of an endless reply body, and goes on', { timeout: 20_000 }, async () => {
    let bodyClosed = false;
    const [, coderdUrl] = await started(recording('https', (req, res) => {
      if (req.method === 'POST') return okay(req, res);
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.on('close', () => { bodyClosed = true; });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump); };
      pump();
    }));
    const logs = sink(coderdUrl, []);
    logs.write(line);
    await until(() => logs.stats().droppedLines === 1 && bodyClosed);
    assert.equal(logs.stats().state, 'open', 'a 400 drops that batch only');
  });
});
