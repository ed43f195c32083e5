import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { startCoderdStandIn, type CoderdStandIn } from './standin.js';
import { makeTestCa, type TestCa } from './tls.js';

/** The stand-in must refuse what coderd refuses, or the sink's tests against it prove nothing. */
const TOKEN = 'standin-token-0123456789';
const SOURCE = '11111111-2222-4333-8444-555555555555';
const dir = mkdtempSync(join(tmpdir(), 'envbox-standin-'));
let ca: TestCa;
let dispatcher: Agent;

before(() => {
  ca = makeTestCa(dir);
  dispatcher = new Agent({ connect: { ca: readFileSync(ca.caPath, 'utf8') } });
});
after(async () => {
  await dispatcher.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(standIn: CoderdStandIn, method: string, path: string, body: string | Buffer, token = TOKEN): Promise<number> {
  const response = await fetch(`${standIn.url}${path}`, { method, body, headers: { 'Coder-Session-Token': token, 'content-type': 'application/json' }, dispatcher });
  await response.text();
  return response.status;
}

const logs = (outputs: string[]) => JSON.stringify({ log_source_id: SOURCE, logs: outputs.map((output) => ({ created_at: '2026-11-28T10:00:00Z', output, level: 'info' })) });
const source = JSON.stringify({ id: SOURCE, display_name: 'envbox', icon: '/icon/docker.svg' });

describe('coderd stand-in', () => {
  it('answers 401 for the first N requests and for a wrong token, then 201 for a log source, twice', async () => {
    const standIn = await startCoderdStandIn({ token: TOKEN, cert: ca.cert, key: ca.key, unauthorizedFirst: 2 });
    try {
      assert.deepEqual([
        await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source),
        await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source),
        await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source, 'wrong-token'),
        await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source),
        await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source),
      ], [401, 401, 401, 201, 201]);
    } finally {
      await standIn.close();
    }
  });

  it('refuses bad lines and bad bodies the way coderd does', async () => {
    const standIn = await startCoderdStandIn({ token: TOKEN, cert: ca.cert, key: ca.key });
    const patch = (body: string | Buffer) => call(standIn, 'PATCH', '/api/v2/workspaceagents/me/logs', body);
    try {
      assert.equal(await patch(logs(['before the source exists'])), 500);
      await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source);
      assert.equal(await patch('not json'), 400);
      assert.equal(await patch(logs([])), 400);
      assert.equal(await patch(JSON.stringify({ log_source_id: SOURCE, logs: [{ created_at: 'now', output: 'x', level: 'info' }] })), 400);
      assert.equal(await patch(logs(['a'.repeat(1025)])), 500);
      assert.equal(await patch(logs(['nul \u0000'])), 500);
      assert.equal(await patch(logs(['lone \uD800'])), 500);
      assert.equal(await patch(Buffer.concat([Buffer.from(logs(['x']).slice(0, -4)), Buffer.from([0xff]), Buffer.from(logs(['x']).slice(-4))])), 500);
      assert.equal(await patch(logs(['😀'.repeat(1024)])), 200, '1024 characters fit, even as 2048 UTF-16 units');
      assert.deepEqual(standIn.received.map((l) => l.output.length), [2048]);
    } finally {
      await standIn.close();
    }
  });

  it('answers 413 once the shared 1 MiB would be passed, and from then on', async () => {
    const standIn = await startCoderdStandIn({ token: TOKEN, cert: ca.cert, key: ca.key, alreadyUsedBytes: (1 << 20) - 1500 });
    const patch = (outputs: string[]) => call(standIn, 'PATCH', '/api/v2/workspaceagents/me/logs', logs(outputs));
    try {
      await call(standIn, 'POST', '/api/v2/workspaceagents/me/log-source', source);
      assert.equal(await patch(['a'.repeat(1000)]), 200);
      assert.equal(await patch(['b'.repeat(1000)]), 413);
      assert.equal(await patch(['c']), 413);
      assert.equal(standIn.received.length, 1);
    } finally {
      await standIn.close();
    }
  });
});
