import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManagedProcess } from './process.js';

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
      'console.log(\'msg="Daemon shutdown complete"\'); process.on("SIGTERM", () => setTimeout(() => process.exit(7), 200)); setInterval(() => {}, 1000);'],
    { log: quiet, scrub: (t) => t, finishedLine: /msg="Daemon shutdown complete"/ });
    for (let i = 0; i < 200 && !p.tail().includes('complete'); i++) await new Promise((r) => setTimeout(r, 25));
    const exit = await p.stop(60_000);
    assert.deepEqual([exit.code, exit.signal], [7, null], 'it exited by itself after SIGTERM');
  });
});
