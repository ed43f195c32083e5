import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvboxError } from '../../kernel/errors.js';
import type { PullSpec } from '../../kernel/hooks.js';
import { parseImageRef, type ImageRef } from '../../kernel/image-ref.js';
import { BuildLog } from '../../kernel/build-log.js';
import { silentLogger } from '../log/logger.js';
import { FakeDocker } from '../../../testing/fake-docker.js';
import { NoSpaceError, progressReporter, pullWithRetry, type PullOptions } from './pull.js';

function capture() {
  const lines: string[] = [];
  return { lines, buildLog: new BuildLog({ write: (text: string) => lines.push((JSON.parse(text) as { output: string }).output) }) };
}

const image = parseImageRef('registry.test:5000/team/ws:1') as ImageRef;
const AUTH = { username: 'alice', password: 'pw', serveraddress: 'registry.test:5000' };

/** Fails the first `count` pulls with `message`, then lets them through. */
function failPulls(docker: FakeDocker, message: string, count = Infinity): void {
  let calls = 0;
  docker.failures.set('pullImage', () => (calls++ < count ? new Error(message) : undefined));
}

async function pull(docker: FakeDocker, options: PullOptions = {}, spec: PullSpec = { image, auth: null }) {
  const { lines, buildLog } = capture();
  const sleeps: number[] = [];
  const work = pullWithRetry(docker, spec, buildLog, silentLogger(), { sleep: async (ms) => { sleeps.push(ms); }, ...options });
  return { work, lines, sleeps };
}

const pulls = (docker: FakeDocker) => docker.calls.filter((c) => c.method === 'pullImage').length;

describe('progressReporter', () => {
  it('shows the first line, then at most one line per interval, never error lines', () => {
    const { lines, buildLog } = capture();
    let time = 10_000;
    const report = progressReporter(buildLog, 2000, () => time);
    const at = (ms: number, line: Parameters<typeof report>[0]) => { time = 10_000 + ms; report(line); };
    at(0, { id: 'abc', status: 'Pulling fs layer' });
    at(500, { id: 'abc', status: 'Downloading', progress: '[=>   ] 1MB/10MB' });
    at(1999, { id: 'def', status: 'Waiting' });
    at(2000, { id: 'abc', status: 'Downloading', progress: '[===> ] 6MB/10MB' });
    at(4500, { error: 'unexpected EOF', status: 'ignored' });
    at(4600, { status: 'Digest: sha256:1234' });
    at(5000, { id: 'abc', status: 'Pull complete' });
    at(6600, { id: 'abc' });
    at(6700, { id: 'abc', status: 'Extracting' });
    assert.deepEqual(lines, [
      'abc: Pulling fs layer',
      'abc: Downloading [===> ] 6MB/10MB',
      'Digest: sha256:1234',
      'abc: Extracting',
    ]);
  });

  it('does not let a hidden line restart the interval', () => {
    const { lines, buildLog } = capture();
    let time = 0;
    const report = progressReporter(buildLog, 1000, () => time);
    for (const t of [0, 900, 1000]) { time = t; report({ status: `at ${t}` }); }
    assert.deepEqual(lines, ['at 0', 'at 1000']);
  });
});

describe('pullWithRetry', () => {
  it('puts a plugin\'s failure hints (a mirror that is down) into the error, before the usual hint', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'manifest unknown');
    const { work } = await pull(docker, {}, { image, auth: null, failureHints: ['The registry mirror https://m (down) did not answer.'] });
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.match(error.hint ?? '', /^The registry mirror https:\/\/m \(down\) did not answer\. The image or its tag does not exist\./);
      return true;
    });
  });

  it('pulls once with the credentials and reports start and end', async () => {
    const docker = new FakeDocker();
    const { work, lines, sleeps } = await pull(docker, {}, { image, auth: AUTH });
    await work;
    assert.deepEqual(docker.calls.find((c) => c.method === 'pullImage')?.args, ['registry.test:5000/team/ws:1', AUTH]);
    assert.equal(lines[0], 'Pulling image registry.test:5000/team/ws:1 from registry.test:5000 with credentials...');
    assert.equal(lines.at(-1), 'Pulled image registry.test:5000/team/ws:1');
    assert.deepEqual(sleeps, []);
  });

  it('retries a transient error and then succeeds', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'read tcp 10.0.0.2:443: connection reset by peer', 1);
    const { work, lines, sleeps } = await pull(docker);
    await work;
    assert.equal(pulls(docker), 2);
    assert.deepEqual(sleeps, [1000]);
    assert.ok(lines.includes('Pull attempt 1 of 3 failed (read tcp 10.0.0.2:443: connection reset by peer); retrying...'), lines.join('\n'));
    assert.equal(lines.at(-1), 'Pulled image registry.test:5000/team/ws:1');
  });

  it('gives up after the last attempt, with backoff between attempts', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'pull image: Get "https://registry.test:5000/v2/": EOF');
    const { work, sleeps } = await pull(docker, { attempts: 3 });
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof EnvboxError && !(error instanceof NoSpaceError));
      assert.equal(error.message, 'pulling registry.test:5000/team/ws:1 failed after 3 attempts: Get "https://registry.test:5000/v2/": EOF');
      return true;
    });
    assert.equal(pulls(docker), 3);
    assert.deepEqual(sleeps, [1000, 2000]);
  });

  for (const message of [
    'Get "https://registry.test:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
    'unauthorized: authentication required',
    'manifest unknown: manifest unknown',
    'pull access denied for team/ws, repository does not exist',
    'no basic auth credentials',
  ]) {
    it(`fails at once on a permanent error: ${message.slice(0, 40)}...`, async () => {
      const docker = new FakeDocker();
      failPulls(docker, message);
      const { work, sleeps } = await pull(docker);
      await assert.rejects(work, (error: unknown) => {
        assert.ok(error instanceof EnvboxError);
        assert.equal(error.message, `pulling registry.test:5000/team/ws:1 failed: ${message}`);
        assert.ok(error.cause instanceof Error);
        return true;
      });
      assert.equal(pulls(docker), 1);
      assert.deepEqual(sleeps, []);
    });
  }

  it('without a prune, raises a NoSpaceError at once on "no space left on device", so the daemon can fall back', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'failed to register layer: write /var/lib/docker/overlay2/x/diff/bin/bash: no space left on device');
    const { work, sleeps } = await pull(docker);
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof NoSpaceError);
      assert.ok(error instanceof EnvboxError);
      assert.match(error.message, /^pulling registry\.test:5000\/team\/ws:1 failed: .*no space left on device$/);
      return true;
    });
    assert.equal(pulls(docker), 1);
    assert.deepEqual(sleeps, []);
  });

  it('on a full disk prunes unused images once and pulls again; a second full disk is a NoSpaceError', async () => {
    const docker = new FakeDocker();
    const events: string[] = [];
    failPulls(docker, 'write /var/lib/docker/overlay2/x: no space left on device');
    const { work, lines, sleeps } = await pull(docker, { prune: async () => { events.push(`prune after ${pulls(docker)} pull(s)`); } });
    await assert.rejects(work, (error: unknown) => error instanceof NoSpaceError);
    assert.deepEqual(events, ['prune after 1 pull(s)']);
    assert.equal(pulls(docker), 2);
    assert.deepEqual(sleeps, [], 'no back-off: the disk is freed, not waited for');
    assert.ok(lines.some((l) => /ran out of disk.*Pruning unused images/.test(l)), lines.join('\n'));
  });

  it('on a full disk, a prune that frees enough lets the second pull succeed', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'no space left on device', 1);
    let prunes = 0;
    await (await pull(docker, { attempts: 1, prune: async () => { prunes++; } })).work;
    assert.equal(prunes, 1);
    assert.equal(pulls(docker), 2, 'the retry after the prune does not use up an attempt');
  });

  it('a failing prune is not fatal: it says so and pulls again', async () => {
    const docker = new FakeDocker();
    failPulls(docker, 'no space left on device', 1);
    const { work, lines } = await pull(docker, { prune: async () => { throw new Error('prune refused'); } });
    await work;
    assert.ok(lines.some((l) => /Pruning images failed \(prune refused\)/.test(l)), lines.join('\n'));
  });

  it('policy always pulls even when the image is present, without asking', async () => {
    const docker = new FakeDocker();
    docker.imagePresent = true;
    await (await pull(docker, { policy: 'always' })).work;
    assert.deepEqual(docker.methods(), ['pullImage']);
  });

  it('policy if-not-present uses a present image without pulling', async () => {
    const docker = new FakeDocker();
    docker.imagePresent = true;
    const { work, lines } = await pull(docker, { policy: 'if-not-present' });
    await work;
    assert.deepEqual(docker.methods(), ['imageExists']);
    assert.deepEqual(lines, ['Using image registry.test:5000/team/ws:1, already present (ENVBOX_PULL_POLICY=if-not-present)']);
  });

  it('policy if-not-present pulls an absent image', async () => {
    const docker = new FakeDocker();
    await (await pull(docker, { policy: 'if-not-present' })).work;
    assert.deepEqual(docker.methods(), ['imageExists', 'pullImage']);
  });

  it('policy never uses a present image', async () => {
    const docker = new FakeDocker();
    docker.imagePresent = true;
    await (await pull(docker, { policy: 'never' })).work;
    assert.deepEqual(docker.methods(), ['imageExists']);
  });

  it('policy never fails with an EnvboxError and a hint when the image is absent', async () => {
    const docker = new FakeDocker();
    const { work } = await pull(docker, { policy: 'never' });
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.equal(error.message, 'the image registry.test:5000/team/ws:1 is not present and ENVBOX_PULL_POLICY=never forbids pulling it');
      assert.match(error.hint ?? '', /ENVBOX_PULL_POLICY=if-not-present/);
      return true;
    });
    assert.ok(!docker.methods().includes('pullImage'));
  });
});
