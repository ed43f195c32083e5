import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exitContext, failedContext, shutdownContext } from '../../core/engine/lifecycle/run-hooks.js';
import { prepareTest } from 'envbox/testing';
import { coderLogsPlugin } from './index.js';

const TOKEN = 'agent-token-0123456789';

interface Received { method: string; path: string; token: string | undefined; body: string }

/** A coderd that accepts everything and records what it got. */
const received: Received[] = [];
const server = createServer((request: IncomingMessage, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
  request.on('end', () => {
    received.push({ method: request.method ?? '', path: request.url ?? '', token: request.headers['coder-session-token'] as string | undefined, body });
    response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end('{}');
  });
});
let url = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const linesSent = () => received.filter((r) => r.method === 'PATCH')
  .flatMap((r) => (JSON.parse(r.body) as { logs: { output: string }[] }).logs.map((l) => l.output));

describe('coder-logs plugin (the build log in the Coder dashboard)', () => {
  it('owns CODER_AGENT_URL and shares CODER_EXTRA_CERTS_PATH with certs', () => {
    assert.deepEqual(coderLogsPlugin().inputs?.map((i) => i.env), ['CODER_AGENT_URL', 'CODER_EXTRA_CERTS_PATH']);
  });

  it('in docker mode, forwards each build-log line (scrubbed) through the buildLog hook, up to the last one before exit', async () => {
    received.length = 0;
    const { app } = await prepareTest([coderLogsPlugin()], { mode: 'docker', env: { CODER_AGENT_URL: url, CODER_AGENT_TOKEN: TOKEN } });
    app.buildLog.info('Pulling image...');
    app.buildLog.error(`the token ${TOKEN} must never travel in a line`);
    await app.hooks.failed.promise(failedContext(app, new Error('x'), 'x', null));
    app.buildLog.info('cleaned up after the failure');
    await app.hooks.exit.promise(exitContext(app, 1));
    assert.deepEqual(linesSent(), ['Pulling image...', 'the token [redacted] must never travel in a line', 'cleaned up after the failure']);
    assert.ok(received.some((r) => r.method === 'POST' && r.path === '/api/v2/workspaceagents/me/log-source'));
    assert.ok(received.every((r) => r.token === TOKEN), 'the token goes only as the Coder-Session-Token header');
    app.buildLog.info('after close');
    assert.ok(!linesSent().includes('after close'), 'nothing is sent once the sink is closed');
  });

  it('on SIGTERM, the lines written after the shutdown hooks (the last is `stopped in …`) still go, in order, and the sink closes on exit', async () => {
    received.length = 0;
    const { app } = await prepareTest([coderLogsPlugin()], { mode: 'docker', env: { CODER_AGENT_URL: url, CODER_AGENT_TOKEN: TOKEN } });
    app.buildLog.info('Received SIGTERM; shutting down the workspace...');
    await app.hooks.shutdown.promise(shutdownContext(app, 'SIGTERM', null));
    app.buildLog.info('stopped in 1.20 s: shutdown hooks 0.00 s, container 1.00 s, daemons 0.20 s');
    await app.hooks.exit.promise(exitContext(app, 0));
    assert.deepEqual(linesSent(), ['Received SIGTERM; shutting down the workspace...', 'stopped in 1.20 s: shutdown hooks 0.00 s, container 1.00 s, daemons 0.20 s']);
    app.buildLog.info('after exit');
    assert.ok(!linesSent().includes('after exit'), 'nothing is sent once the sink is closed');
  });

  it('sends nothing in plan mode, or without a token', async () => {
    received.length = 0;
    for (const run of <{ mode: 'plan' | 'docker'; env: Record<string, string> }[]>[
      { mode: 'plan' as const, env: { CODER_AGENT_URL: url, CODER_AGENT_TOKEN: TOKEN } },
      { mode: 'docker' as const, env: { CODER_AGENT_URL: url } },
    ]) {
      const { app } = await prepareTest([coderLogsPlugin()], run);
      app.buildLog.info('not for coderd');
      await app.hooks.shutdown.promise(shutdownContext(app, 'SIGTERM', null));
    }
    assert.deepEqual(received, []);
  });
});
