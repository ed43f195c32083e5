import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createCoderLogSink, ENVBOX_LOG_SOURCE_ID, type CoderLogSinkOptions } from '../../plugins/coder-logs/sink.js';
import { BuildLog } from '../../core/kernel/build-log.js';
import { startCoderdStandIn, type CoderdStandIn } from './standin.js';
import { makeTestCa, type TestCa } from './tls.js';

/**
 * The build log streamed to a coderd stand-in over real TLS, with the real HTTP client
 * (undici, extra CAs, proxy env). The timeouts here are the ones the core is told to use.
 */
const TOKEN = 'coder-agent-token-7d41c0aa9e';
const FLUSH_TIMEOUT_MS = 2000;
const CLOSE_TIMEOUT_MS = 2000;
/** Scheduling noise on a busy CI machine; the bound under test is the timeout itself. */
const SLACK_MS = 1000;

const dir = mkdtempSync(join(tmpdir(), 'envbox-coderd-'));
let ca: TestCa;
/** Every pino line of every test, to check at the end that the token never appeared. */
const allLogLines: string[] = [];

before(() => {
  ca = makeTestCa(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function logger() {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => { lines.push(line); allLogLines.push(line); } });
  return { log, lines, warnings: () => lines.filter((l) => JSON.parse(l).level === 40) };
}

/** A build log wired as the coder-logs plugin wires it: JSON lines to a stream, and each entry to the coderd sink. */
function buildLogTo(url: string, options: Partial<CoderLogSinkOptions> = {}) {
  const log = logger();
  const stderr: string[] = [];
  const buildLog = new BuildLog({ write: (text: string) => stderr.push(text) });
  const sink = createCoderLogSink({ url, token: TOKEN, extraCertsPath: ca.caPath, logger: log.log, ...options });
  buildLog.attach({ call: (entry) => sink.write(entry) });
  return { buildLog, sink, log, stderr };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function standIn(options: { unauthorizedFirst?: number; logLimitBytes?: number; alreadyUsedBytes?: number } = {}): Promise<CoderdStandIn> {
  return startCoderdStandIn({ token: TOKEN, cert: ca.cert, key: ca.key, ...options });
}

/** A port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('build log to coderd', () => {
  it('delivers every line, in order, through 401s, as clean pieces under the envbox source', async (t) => {
    const coderd = await standIn({ unauthorizedFirst: 3 });
    try {
      const { buildLog, sink } = buildLogTo(coderd.url);
      const expected: string[] = [];
      for (let n = 0; n < 750; n += 1) {
        buildLog.info(`step ${n}`);
        expected.push(`step ${n}`);
      }
      buildLog.info(`${'x'.repeat(1023)}😀${'y'.repeat(2000)}`);
      expected.push('x'.repeat(1023), `😀${'y'.repeat(1022)}`, 'y'.repeat(978));
      buildLog.error('a NUL \u0000 and a lone \uD800 surrogate');
      expected.push('a NUL \uFFFD and a lone \uFFFD surrogate');
      buildLog.done('ready in 3.2 s: daemon 0.7 s, pull 1.1 s');
      expected.push('ready in 3.2 s: daemon 0.7 s, pull 1.1 s');
      buildLog.done();

      const flushMs = await timed(() => sink.flush(15_000));
      await sink.close(CLOSE_TIMEOUT_MS);
      t.diagnostic(`flush through 3 x 401 with the default backoff: ${Math.round(flushMs)} ms`);

      assert.deepEqual(coderd.received.map((l) => l.output), expected);
      assert.ok(coderd.received.every((l) => l.log_source_id === ENVBOX_LOG_SOURCE_ID));
      assert.deepEqual(coderd.sources.get(ENVBOX_LOG_SOURCE_ID), { display_name: 'envbox', icon: '/icon/docker.svg' });
      assert.deepEqual(coderd.received.filter((l) => l.level === 'error').map((l) => l.output), ['a NUL \uFFFD and a lone \uFFFD surrogate']);
      assert.deepEqual(coderd.requests.slice(0, 3).map((r) => r.status), [401, 401, 401]);
      assert.ok(coderd.requests.every((r) => r.lines <= 100), 'batches of at most 100 lines');
      assert.ok(coderd.requests.every((r) => r.status !== 500 && r.status !== 400), 'nothing was refused');
    } finally {
      await coderd.close();
    }
  });

  it('costs the start no more than the flush and close timeouts when coderd refuses connections', async (t) => {
    const { buildLog, sink } = buildLogTo(`https://127.0.0.1:${await closedPort()}`);
    const writeMs = await timed(async () => { for (let n = 0; n < 1000; n += 1) buildLog.info(`line ${n}`); });
    const flushMs = await timed(() => sink.flush(FLUSH_TIMEOUT_MS));
    const closeMs = await timed(() => sink.close(CLOSE_TIMEOUT_MS));
    t.diagnostic(`coderd down (refused): 1000 writes ${writeMs.toFixed(1)} ms, flush ${Math.round(flushMs)} ms (bound ${FLUSH_TIMEOUT_MS}), close ${Math.round(closeMs)} ms (bound ${CLOSE_TIMEOUT_MS})`);
    assert.ok(flushMs <= FLUSH_TIMEOUT_MS + SLACK_MS, `flush took ${flushMs} ms`);
    assert.ok(closeMs <= CLOSE_TIMEOUT_MS + SLACK_MS, `close took ${closeMs} ms`);
    assert.equal(sink.stats().sentLines, 0);
    assert.equal(sink.stats().state, 'closed');
  });

  it('costs no more than the timeouts when coderd accepts connections but never answers', async (t) => {
    const sockets = new Set<Socket>();
    const blackHole = createTcpServer((socket) => { sockets.add(socket); socket.on('error', () => undefined); });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blackHole.address() as AddressInfo;
      const { buildLog, sink } = buildLogTo(`https://127.0.0.1:${port}`);
      for (let n = 0; n < 100; n += 1) buildLog.info(`line ${n}`);
      const flushMs = await timed(() => sink.flush(FLUSH_TIMEOUT_MS));
      const closeMs = await timed(() => sink.close(CLOSE_TIMEOUT_MS));
      t.diagnostic(`coderd hanging: flush ${Math.round(flushMs)} ms, close ${Math.round(closeMs)} ms (bounds ${FLUSH_TIMEOUT_MS}/${CLOSE_TIMEOUT_MS})`);
      assert.ok(flushMs <= FLUSH_TIMEOUT_MS + SLACK_MS, `flush took ${flushMs} ms`);
      assert.ok(closeMs <= CLOSE_TIMEOUT_MS + SLACK_MS, `close took ${closeMs} ms`);
      assert.ok(sockets.size >= 1, 'the sink did connect');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('reaches a coderd with a self-signed CA only when CODER_EXTRA_CERTS_PATH names it', async () => {
    const coderd = await standIn();
    try {
      const without = buildLogTo(coderd.url, { extraCertsPath: undefined });
      without.buildLog.info('needs the CA');
      await without.sink.flush(1000);
      await without.sink.close(500);
      assert.equal(coderd.received.length, 0);
      assert.equal(coderd.requests.length, 0, 'no request got past the TLS handshake');
      assert.match(without.log.warnings().join(''), /CODER_EXTRA_CERTS_PATH/);

      const withFile = buildLogTo(coderd.url, { extraCertsPath: ca.caPath });
      withFile.buildLog.info('trusted through a file');
      await withFile.sink.close(CLOSE_TIMEOUT_MS);

      const withDir = buildLogTo(coderd.url, { extraCertsPath: ca.caDir });
      withDir.buildLog.info('trusted through a directory');
      await withDir.sink.close(CLOSE_TIMEOUT_MS);

      assert.deepEqual(coderd.received.map((l) => l.output), ['trusted through a file', 'trusted through a directory']);
    } finally {
      await coderd.close();
    }
  });

  it('stops at a 413 from coderd, warns once, and sends nothing after it', async () => {
    const coderd = await standIn({ alreadyUsedBytes: (1 << 20) - 8 * 1024 });
    try {
      const { buildLog, sink, log } = buildLogTo(coderd.url, { maxBatchLines: 10 });
      for (let n = 0; n < 100; n += 1) buildLog.info(`${n} `.padEnd(200, '.'));
      await sink.flush(5000);
      const requestsAtStop = coderd.requests.length;
      buildLog.info('after the overflow');
      await sink.close(CLOSE_TIMEOUT_MS);

      assert.equal(sink.stats().state, 'overflowed');
      assert.equal(coderd.requests.at(-1)?.status, 413);
      assert.equal(coderd.requests.length, requestsAtStop);
      assert.ok(coderd.received.length > 0 && coderd.received.length < 100);
      assert.equal(log.warnings().length, 1);
      assert.match(log.warnings()[0] ?? '', /log limit/);
    } finally {
      await coderd.close();
    }
  });

  it('keeps to its own byte budget, well under coderd\'s 1 MiB, and says where the rest is', async (t) => {
    const coderd = await standIn();
    try {
      const { buildLog, sink } = buildLogTo(coderd.url);
      for (let n = 0; n < 2000; n += 1) buildLog.info(`${n} `.padEnd(200, '.'));
      await sink.close(10_000);
      t.diagnostic(`budget: ${coderd.usedBytes()} bytes in ${coderd.received.length} lines reached coderd for 400 KB written`);
      assert.ok(coderd.usedBytes() <= 256 * 1024);
      assert.ok(coderd.received.length > 1000);
      assert.match(coderd.received.at(-1)?.output ?? '', /rest is in the pod log/);
      assert.ok(coderd.requests.every((r) => r.status !== 413));
    } finally {
      await coderd.close();
    }
  });

  it('goes through HTTPS_PROXY, and around it for hosts in NO_PROXY', async () => {
    const coderd = await standIn();
    const tunnels: string[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    try {
      delete process.env.https_proxy;
      delete process.env.no_proxy;
      delete process.env.NO_PROXY;
      process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const proxied = buildLogTo(coderd.url);
      proxied.buildLog.info('through the proxy');
      await proxied.sink.close(CLOSE_TIMEOUT_MS);
      const tunnelsThroughProxy = tunnels.length;
      assert.ok(tunnelsThroughProxy >= 1, 'the proxy was used');
      assert.ok(tunnels.every((target) => target === new URL(coderd.url).host));

      process.env.NO_PROXY = '127.0.0.1';
      const direct = buildLogTo(coderd.url);
      direct.buildLog.info('around the proxy');
      await direct.sink.close(CLOSE_TIMEOUT_MS);
      assert.equal(tunnels.length, tunnelsThroughProxy, 'NO_PROXY kept the second sink off the proxy');
      assert.deepEqual(coderd.received.map((l) => l.output), ['through the proxy', 'around the proxy']);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await coderd.close();
    }
  });

  it('never wrote the token in any log line of the tests above', () => {
    assert.ok(allLogLines.length > 20, 'the tests above logged retries, refusals and warnings');
    const everything = allLogLines.join('');
    assert.ok(!everything.includes(TOKEN), 'the token appears in the pino output');
    assert.ok(!/coder-session-token/i.test(everything), 'a header was logged');
  });
});
