import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvboxError } from '../../kernel/errors.js';
import { waitForPing } from './wait.js';

/** A clock that moves only when the code under test sleeps; records each pause. */
function fakeTime() {
  let time = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => time,
    sleep: async (ms: number) => { pauses.push(ms); time += ms; },
  };
}

/** A ping that fails with the given messages in turn, then succeeds. */
function pingFailing(messages: string[]) {
  let calls = 0;
  const ping = async () => {
    const message = messages[calls++];
    if (message !== undefined) throw new Error(message);
  };
  return { ping, calls: () => calls };
}

describe('waitForPing', () => {
  it('returns the attempt count at the first answer, after failures, backing off 50 ms doubling to 1 s', async () => {
    const time = fakeTime();
    const { ping, calls } = pingFailing(Array.from({ length: 7 }, () => 'connect ENOENT /var/run/docker.sock'));
    assert.equal(await waitForPing(ping, { timeoutMs: 60_000, ...time }), 8);
    assert.equal(calls(), 8);
    assert.deepEqual(time.pauses, [50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('answers at once without sleeping when the daemon is up', async () => {
    const time = fakeTime();
    assert.equal(await waitForPing(async () => undefined, { timeoutMs: 1000, ...time }), 1);
    assert.deepEqual(time.pauses, []);
  });

  it('on timeout lists every distinct cause with its count', async () => {
    const time = fakeTime();
    // 0, 50, 150, 350, 750 ms: still within 1 s; at 1550 ms the sixth failure ends it.
    const { ping } = pingFailing([
      'connect ECONNREFUSED /var/run/docker.sock', 'connect ECONNREFUSED /var/run/docker.sock',
      'connect ECONNREFUSED /var/run/docker.sock', 'connect ECONNREFUSED /var/run/docker.sock',
      'socket hang up\n   while reading', 'socket hang up\n   while reading', 'never reached',
    ]);
    await assert.rejects(waitForPing(ping, { timeoutMs: 1000, ...time }), (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.equal(error.message, 'dockerd did not answer its ping within 1 s after 6 attempts: '
        + 'connect ECONNREFUSED /var/run/docker.sock (4x); socket hang up while reading (2x)');
      return true;
    });
  });

  it('counts a single repeated cause as "(3x)"', async () => {
    const time = fakeTime();
    const { ping } = pingFailing(['EACCES', 'EACCES', 'EACCES', 'EACCES']);
    // 0, 50, 150: the third failure is at 150 ms >= 100 ms.
    await assert.rejects(waitForPing(ping, { timeoutMs: 100, ...time }), /after 3 attempts: EACCES \(3x\)$/);
  });

  it('stops as soon as the daemon exits, quoting why', async () => {
    const time = fakeTime();
    const { ping, calls } = pingFailing(Array.from({ length: 100 }, () => 'ECONNREFUSED'));
    const exited = Promise.resolve('exit code 1: failed to start daemon: pid file found');
    await assert.rejects(waitForPing(ping, { timeoutMs: 60_000, exited, ...time }), (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.equal(error.message, 'dockerd exited before it answered: exit code 1: failed to start daemon: pid file found');
      return true;
    });
    assert.equal(calls(), 1);
  });

  it('ignores an exited promise that rejects', async () => {
    const time = fakeTime();
    const { ping } = pingFailing(['ECONNREFUSED']);
    assert.equal(await waitForPing(ping, { timeoutMs: 60_000, exited: Promise.reject(new Error('x')), ...time }), 2);
  });

  it('stops with the abort reason when the signal is aborted', async () => {
    const time = fakeTime();
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    let calls = 0;
    const ping = async () => {
      calls++;
      if (calls === 2) controller.abort(reason);
      throw new Error('ECONNREFUSED');
    };
    await assert.rejects(waitForPing(ping, { timeoutMs: 60_000, signal: controller.signal, ...time }), (error: unknown) => error === reason);
    assert.equal(calls, 2);
  });

  it('does not ping at all with an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    let calls = 0;
    await assert.rejects(waitForPing(async () => { calls++; }, { timeoutMs: 1000, signal: controller.signal, ...fakeTime() }), /stopped/);
    assert.equal(calls, 0);
  });

  it('stops waiting on a ping that hangs when aborted', async () => {
    const controller = new AbortController();
    let settled = false;
    const waiting = waitForPing(() => new Promise<void>(() => undefined), { timeoutMs: 1000, signal: controller.signal, ...fakeTime() })
      .then(() => undefined, () => undefined)
      .finally(() => { settled = true; });
    controller.abort(new Error('SIGTERM'));
    // A wait that races its ping against the signal settles within these turns of the event loop.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, true, 'still waiting on a ping that never answers');
    await waiting;
  });
});
