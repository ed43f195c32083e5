import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManagedProcess, onPath } from './process.js';

const quiet = pino({ level: 'silent' });

/** A stand-in daemon: on SIGTERM it prints `line`, then stays alive 30 s (as dockerd's gRPC backoff does, briefly). */
function daemon(lineOnTerm: string, finishedLine?: RegExp): ManagedProcess {
  const script = `process.on('SIGTERM', () => { console.log(${JSON.stringify(lineOnTerm)}); setTimeout(() => process.exit(0), 30000); });
console.log('msg="Daemon shutdown complete" (before any SIGTERM: not a finish)'); setInterval(() => {}, 1000);`;
  return new ManagedProcess('fake-dockerd', [process.execPath, '-e', script], { log: quiet, scrub: (t) => t, ...(finishedLine ? { finishedLine } : {}) });
}

async function started(p: ManagedProcess): Promise<void> {
  // The first line proves the SIGTERM handler is in place.
  for (let i = 0; i < 200 && !p.tail().includes('before any SIGTERM'); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('ManagedProcess.stop', () => {
  it('does not wait for a daemon that said its shutdown is complete: SIGKILL after the line', async () => {
    const p = daemon('time="x" level=info msg="Daemon shutdown complete"', /msg="Daemon shutdown complete"/);
    await started(p);
    const exit = await p.stop(60_000);
    assert.equal(exit.signal, 'SIGKILL', 'ended by envbox once the line came, not by its own exit 30 s later');
  });

  it('waits for the exit (up to the grace) while the line has not come', async () => {
    const p = daemon('still shutting down', /msg="Daemon shutdown complete"/);
    await started(p);
    const exit = await p.stop(300);
    assert.equal(exit.signal, 'SIGKILL');
    assert.match(p.tail(10), /still shutting down/);
    assert.doesNotMatch(p.tail(10), /level=info msg="Daemon shutdown complete"$/m);
  });

  it('a finish line seen before the stop began changes nothing', async () => {
    const p = new ManagedProcess('fake-daemon', [process.execPath, '-e',
      // The handler first: the line is what tells the test that the handler is in place.
      'process.on("SIGTERM", () => setTimeout(() => process.exit(7), 200)); console.log(\'msg="Daemon shutdown complete"\'); setInterval(() => {}, 1000);'],
    { log: quiet, scrub: (t) => t, finishedLine: /msg="Daemon shutdown complete"/ });
    for (let i = 0; i < 200 && !p.tail().includes('complete'); i++) await new Promise((r) => setTimeout(r, 25));
    const exit = await p.stop(60_000);
    assert.deepEqual([exit.code, exit.signal], [7, null], 'it exited by itself after SIGTERM');
  });
});

describe('ManagedProcess output and exit', () => {
  it('keeps stdout and stderr lines, the last one without a newline too, and reports the exit code', async () => {
    const p = new ManagedProcess('talker', [process.execPath, '-e',
      'process.stdout.write("out one\\n"); process.stderr.write("level=error msg=bad\\n"); process.stdout.write("last"); process.exitCode = 3;'],
    { log: quiet, scrub: (t) => t.replace('bad', '[scrubbed]') });
    const exit = await p.exited;
    assert.deepEqual([exit.code, exit.signal], [3, null]);
    assert.match(p.tail(10), /level=error msg=\[scrubbed\]/, 'the error line, scrubbed, comes first in the tail');
    const all = new ManagedProcess('talker2', [process.execPath, '-e', 'console.log("a"); console.error("b"); process.stdout.write("c")'],
      { log: quiet, scrub: (t) => t });
    await all.exited;
    assert.deepEqual(all.tail(10).split('\n').sort(), ['a', 'b', 'c']);
  });

  it('gives its env on top of envbox\'s own', async () => {
    process.env.ENVBOX_PROCESS_TEST_OUTER = 'outer';
    const p = new ManagedProcess('env', [process.execPath, '-e', 'console.log(process.env.ENVBOX_PROCESS_TEST_OUTER + "/" + process.env.ADDED)'],
      { log: quiet, scrub: (t) => t, env: { ADDED: 'added' } });
    await p.exited;
    delete process.env.ENVBOX_PROCESS_TEST_OUTER;
    assert.equal(p.tail(), 'outer/added');
  });

  it('leaves out the env vars it is told to (the secret inputs), and its own env can still set one', async () => {
    process.env.ENVBOX_PROCESS_TEST_SECRET = 'hunter2';
    process.env.ENVBOX_PROCESS_TEST_KEPT = 'kept';
    const p = new ManagedProcess('env', [process.execPath, '-e', 'console.log([process.env.ENVBOX_PROCESS_TEST_SECRET, process.env.ENVBOX_PROCESS_TEST_KEPT, process.env.SET_AGAIN].join("/"))'],
      { log: quiet, scrub: (t) => t, withoutEnv: ['ENVBOX_PROCESS_TEST_SECRET', 'SET_AGAIN'], env: { SET_AGAIN: 'own' } });
    await p.exited;
    delete process.env.ENVBOX_PROCESS_TEST_SECRET;
    delete process.env.ENVBOX_PROCESS_TEST_KEPT;
    assert.equal(p.tail(), '/kept/own');
  });

  it('a program that cannot be spawned exits with the reason in its tail', async () => {
    const p = new ManagedProcess('missing', ['/nonexistent/dockerd'], { log: quiet, scrub: (t) => t });
    const exit = await p.exited;
    assert.deepEqual([exit.code, exit.signal], [null, null]);
    assert.match(p.tail(), /failed to start \/nonexistent\/dockerd: .*ENOENT/);
  });

  it('does not wait for a child that keeps the output pipe open after the daemon exits', { timeout: 10_000 }, async (t) => {
    // The daemon starts a grandchild that inherits its stdout and outlives it (as containerd can). Waiting
    // for the pipe to close would take the grandchild's 30 s, past this test's 10 s timeout.
    const script = 'const c = require("child_process").spawn("sleep", ["30"], { stdio: "inherit", detached: true }); c.unref(); console.log("grandchild " + c.pid); console.log("bye");';
    const p = new ManagedProcess('parent', [process.execPath, '-e', script], { log: quiet, scrub: (t) => t });
    t.after(() => {
      const pid = Number(/grandchild (\d+)/.exec(p.tail(10))?.[1]);
      if (pid > 0) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    });
    const exit = await p.exited;
    assert.equal(exit.code, 0);
    assert.match(p.tail(10), /^grandchild \d+\nbye$/);
  });
});

describe('onPath', () => {
  it('finds a program on PATH, and an executable path as given, like command -v', async () => {
    assert.equal(await onPath('sh'), true);
    assert.equal(await onPath('envbox-no-such-program'), false);
    assert.equal(await onPath(process.execPath), true);
    const dir = await mkdtemp(join(tmpdir(), 'envbox-onpath-'));
    await writeFile(join(dir, 'plain'), 'x', { mode: 0o644 });
    await mkdir(join(dir, 'adir'));
    assert.equal(await onPath(join(dir, 'plain')), false, 'not executable');
    assert.equal(await onPath('adir', dir), false, 'a directory is not a program');
    await rm(dir, { recursive: true });
    assert.equal(await onPath('sh', ''), false, 'an empty PATH finds nothing');
  });
});
