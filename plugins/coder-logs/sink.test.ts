import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { BuildLogEntry } from 'envbox';
import type { CoderFetch } from './http.js';
import { utf8Bytes, type CoderLog } from './lines.js';
import {
  backoffDelay, classifyStatus, createCoderLogSink, DEFAULT_RETRY, ENVBOX_LOG_SOURCE, ENVBOX_LOG_SOURCE_ID,
  MAX_SERVER_ERRORS_PER_BATCH, type CoderLogSinkOptions, type Sleep,
} from './sink.js';

const TOKEN = 'agent-token-5f0c1d2e';
const URL_BASE = 'https://coder.example.com';

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: { log_source_id?: string; logs?: CoderLog[]; id?: string; display_name?: string; icon?: string };
}

/** A fetch that answers from a script (a status, an Error to throw, or a status plus body), then 200/201. */
function fakeCoderd(script: Array<number | Error | { status: number; body: string }> = []) {
  const requests: Recorded[] = [];
  const answers = [...script];
  const fetch: CoderFetch = async (url, init) => {
    requests.push({ method: init.method, url, headers: init.headers, body: JSON.parse(init.body) });
    const next = answers.shift() ?? (init.method === 'POST' ? 201 : 200);
    if (next instanceof Error) throw next;
    const { status, body } = typeof next === 'number' ? { status: next, body: '{}' } : next;
    return { status, text: async () => body };
  };
  const patches = () => requests.filter((r) => r.method === 'PATCH');
  const outputs = () => patches().flatMap((r) => r.body.logs ?? []).map((l) => l.output);
  return { fetch, requests, patches, outputs };
}

/** Sleeps that the test ends: the batch interval passes only when `release()` is called. */
function manualSleep() {
  const pending: Array<{ ms: number; resolve: () => void }> = [];
  const sleep: Sleep = (ms, signal) => new Promise((resolve) => {
    const entry = { ms, resolve };
    pending.push(entry);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const release = () => { for (const entry of pending.splice(0)) entry.resolve(); };
  return { sleep, pending, release };
}

/** Sleeps that return on the next turn of the event loop and remember how long they were asked for. */
function recordingSleep() {
  const delays: number[] = [];
  const sleep: Sleep = (ms) => new Promise((resolve) => { delays.push(ms); setImmediate(resolve); });
  return { sleep, delays };
}

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => { lines.push(line); } });
  return { logger, lines, text: () => lines.join('') };
}

async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

function entry(output: string, type: BuildLogEntry['type'] = 'info'): BuildLogEntry {
  return { output, time: '2026-11-28T10:00:00.000Z', type };
}

function sink(options: Partial<CoderLogSinkOptions> & { fetch: CoderFetch }) {
  return createCoderLogSink({ url: URL_BASE, token: TOKEN, logger: captureLogger().logger, sleep: recordingSleep().sleep, ...options });
}

describe('createCoderLogSink: requests', () => {
  it('registers the envbox log source once, then PATCHes lines under it with the session token header', async () => {
    const coderd = fakeCoderd();
    const s = sink({ fetch: coderd.fetch, url: 'https://coder.example.com/prefix/' });
    s.write(entry('one'));
    s.write(entry('two', 'error'));
    await s.flush(1000);
    s.write(entry('three'));
    await s.close(1000);

    assert.deepEqual(coderd.requests.map((r) => `${r.method} ${r.url}`), [
      'POST https://coder.example.com/prefix/api/v2/workspaceagents/me/log-source',
      'PATCH https://coder.example.com/prefix/api/v2/workspaceagents/me/logs',
      'PATCH https://coder.example.com/prefix/api/v2/workspaceagents/me/logs',
    ]);
    assert.deepEqual(coderd.requests[0]?.body, { ...ENVBOX_LOG_SOURCE });
    for (const request of coderd.requests) assert.equal(request.headers['Coder-Session-Token'], TOKEN);
    assert.deepEqual(coderd.patches()[0]?.body, {
      log_source_id: ENVBOX_LOG_SOURCE_ID,
      logs: [
        { created_at: '2026-11-28T10:00:00.000Z', output: 'one', level: 'info' },
        { created_at: '2026-11-28T10:00:00.000Z', output: 'two', level: 'error' },
      ],
    });
    assert.equal(s.stats().sentLines, 3);
  });

  it('sends long, NUL-bearing and broken lines as clean pieces of at most 1024 characters', async () => {
    const coderd = fakeCoderd();
    const s = sink({ fetch: coderd.fetch });
    s.write(entry(`${'x'.repeat(1023)}😀tail`));
    s.write(entry('nul\u0000here \uD800'));
    s.write(entry('', 'done'));
    await s.close(1000);
    assert.deepEqual(coderd.outputs(), ['x'.repeat(1023), '😀tail', 'nul\uFFFDhere \uFFFD']);
  });

  it('drops everything quietly when the URL is not http(s)', async () => {
    const coderd = fakeCoderd();
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, url: 'not a url', logger: log.logger });
    s.write(entry('x'));
    await s.close(100);
    assert.equal(coderd.requests.length, 0);
    assert.equal(s.stats().state, 'refused');
    assert.match(log.text(), /not a valid http\(s\) URL/);
  });

  it('never throws from write, even for an entry that is not a string', async () => {
    const coderd = fakeCoderd();
    const s = sink({ fetch: coderd.fetch });
    assert.doesNotThrow(() => s.write({ output: 42, time: 'x', type: 'info' } as unknown as BuildLogEntry));
    await s.close(100);
  });
});

describe('createCoderLogSink: batching', () => {
  it('holds lines until the batch interval passes, then sends them in one request', async () => {
    const coderd = fakeCoderd();
    const timer = manualSleep();
    const s = sink({ fetch: coderd.fetch, sleep: timer.sleep, batchIntervalMs: 1000 });
    for (const n of [1, 2, 3, 4, 5]) s.write(entry(`line ${n}`));
    await settle();
    assert.equal(coderd.requests.length, 0);
    assert.deepEqual(timer.pending.map((p) => p.ms), [1000]);

    timer.release();
    await settle();
    assert.equal(coderd.patches().length, 1);
    assert.deepEqual(coderd.outputs(), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    await s.close(100);
  });

  it('sends at once every 100 lines without waiting for the interval', async () => {
    const coderd = fakeCoderd();
    const timer = manualSleep();
    const s = sink({ fetch: coderd.fetch, sleep: timer.sleep });
    for (let n = 0; n < 250; n += 1) s.write(entry(`line ${n}`));
    await settle();
    assert.deepEqual(coderd.patches().map((p) => p.body.logs?.length), [100, 100]);

    timer.release();
    await settle();
    assert.deepEqual(coderd.patches().map((p) => p.body.logs?.length), [100, 100, 50]);
    assert.deepEqual(coderd.outputs(), Array.from({ length: 250 }, (_, n) => `line ${n}`));
    await s.close(100);
  });

  it('flush sends what is queued without waiting for the interval', async () => {
    const coderd = fakeCoderd();
    const timer = manualSleep();
    const s = sink({ fetch: coderd.fetch, sleep: timer.sleep });
    s.write(entry('a'));
    s.write(entry('b'));
    await s.flush(1000);
    assert.deepEqual(coderd.outputs(), ['a', 'b']);
    await s.close(100);
  });
});

describe('createCoderLogSink: byte budget', () => {
  it('stops after its own budget with one last line pointing to the pod log', async () => {
    const coderd = fakeCoderd();
    const budgetBytes = 2000;
    const s = sink({ fetch: coderd.fetch, budgetBytes });
    for (let n = 0; n < 20; n += 1) s.write(entry(`${n}`.padEnd(300, '.')));
    s.write(entry('after the notice'));
    await s.close(1000);

    const outputs = coderd.outputs();
    assert.match(outputs.at(-1) ?? '', /the rest is in the pod log/);
    assert.equal(outputs.filter((o) => /pod log/.test(o)).length, 1);
    assert.ok(!outputs.includes('after the notice'));
    assert.ok(outputs.length > 2, 'lines before the budget ran out were sent');
    assert.ok(outputs.reduce((sum, o) => sum + utf8Bytes(o), 0) <= budgetBytes);
  });
});

describe('createCoderLogSink: coderd answers', () => {
  it('stops for good on 413 and warns once that the logs overflowed', async () => {
    const coderd = fakeCoderd([201, 413]);
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, logger: log.logger });
    s.write(entry('first'));
    await s.flush(1000);
    s.write(entry('second'));
    await s.flush(1000);
    await s.close(1000);

    assert.equal(coderd.patches().length, 1);
    assert.equal(s.stats().state, 'overflowed');
    const warnings = log.lines.filter((l) => JSON.parse(l).level === 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /log limit/);
  });

  it('retries 401, 5xx and network errors with growing delays, and keeps the order', async () => {
    const coderd = fakeCoderd([401, 201, 401, 503, new TypeError('fetch failed'), 502, 200]);
    const timer = recordingSleep();
    const s = sink({ fetch: coderd.fetch, sleep: timer.sleep, batchIntervalMs: 7 });
    s.write(entry('a'));
    s.write(entry('b'));
    await s.flush(5000);
    s.write(entry('c'));
    await s.close(5000);

    assert.deepEqual(coderd.outputs().filter((_, i, all) => all.indexOf(_) === i), ['a', 'b', 'c']);
    const retryDelays = timer.delays.filter((d) => d !== 7);
    assert.deepEqual(retryDelays, [250, 250, 500, 1000, 2000]);
    assert.equal(s.stats().sentLines, 3);
  });

  it('caps the backoff delay', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10, 100].map((n) => backoffDelay(n)), [250, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    assert.deepEqual(DEFAULT_RETRY, { initialMs: 250, maxMs: 8000 });
  });

  it('classifies answers the way coderd means them', () => {
    assert.deepEqual([200, 201, 204, 400, 401, 403, 404, 408, 413, 429, 500, 502, 503].map(classifyStatus), [
      'ok', 'ok', 'ok', 'bad-request', 'retry', 'refused', 'refused', 'retry', 'overflow', 'retry', 'retry', 'retry', 'retry',
    ]);
  });

  it('drops a batch that coderd keeps answering 500 for, and goes on with the next', async () => {
    const failures = Array.from({ length: MAX_SERVER_ERRORS_PER_BATCH }, () => 500);
    const coderd = fakeCoderd([201, ...failures]);
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, logger: log.logger });
    s.write(entry('poison'));
    await s.flush(5000);
    s.write(entry('next'));
    await s.close(5000);

    assert.equal(coderd.patches().length, MAX_SERVER_ERRORS_PER_BATCH + 1);
    assert.deepEqual(coderd.patches().at(-1)?.body.logs?.map((l) => l.output), ['next']);
    assert.deepEqual([s.stats().sentLines, s.stats().droppedLines], [1, 1]);
    assert.match(log.text(), /keeps failing/);
  });

  it('drops a batch answered 400 and goes on with the next', async () => {
    const coderd = fakeCoderd([201, 400]);
    const s = sink({ fetch: coderd.fetch });
    s.write(entry('bad'));
    await s.flush(1000);
    s.write(entry('good'));
    await s.close(1000);
    assert.deepEqual(coderd.patches().map((p) => p.body.logs?.[0]?.output), ['bad', 'good']);
    assert.equal(s.stats().sentLines, 1);
  });

  it('gives up when coderd refuses outright (404 on the log source)', async () => {
    const coderd = fakeCoderd([404]);
    const s = sink({ fetch: coderd.fetch });
    s.write(entry('a'));
    await s.flush(1000);
    s.write(entry('b'));
    await s.close(1000);
    assert.deepEqual(coderd.requests.map((r) => r.method), ['POST']);
  });

  it('close returns within its timeout while coderd keeps answering 401, and then sends nothing more', async () => {
    const coderd = fakeCoderd(Array.from({ length: 100_000 }, () => 401));
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, logger: log.logger });
    s.write(entry('never delivered'));
    await s.close(50);
    const after = coderd.requests.length;
    await settle();
    assert.equal(coderd.requests.length, after);
    assert.equal(s.stats().state, 'closed');
    assert.match(log.text(), /did not take the last lines in time/);
  });
});

describe('createCoderLogSink: TLS', () => {
  it('warns once that CODER_EXTRA_CERTS_PATH is missing when coderd\'s certificate is not trusted', async () => {
    const untrusted = () => new TypeError('fetch failed', { cause: Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }) });
    const coderd = fakeCoderd([untrusted(), untrusted(), untrusted()]);
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, logger: log.logger });
    s.write(entry('a'));
    await s.close(1000);
    const warnings = log.lines.filter((l) => JSON.parse(l).level === 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /CODER_EXTRA_CERTS_PATH/);
    assert.deepEqual(coderd.outputs(), ['a'], 'it kept retrying and got through');
  });
});

describe('createCoderLogSink: secrets', () => {
  it('never logs the token, even when coderd echoes it back', async () => {
    const echo = { status: 401, body: `{"message":"bad token ${TOKEN}"}` };
    const coderd = fakeCoderd([echo, new Error(`connect failed for ${TOKEN}`), 201, { status: 400, body: TOKEN }, 404]);
    const log = captureLogger();
    const s = sink({ fetch: coderd.fetch, logger: log.logger });
    s.write(entry('a'));
    await s.flush(1000);
    s.write(entry('b'));
    await s.close(1000);
    assert.ok(log.lines.length >= 3, 'the retries and refusals were logged');
    assert.ok(!log.text().includes(TOKEN));
    assert.match(log.text(), /\[redacted\]/);
  });
});
