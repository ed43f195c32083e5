import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pino from 'pino';
import { failureParagraph } from '../status/hints.js';
import { dataRootOf, explainDaemonFailure, isWrapperLine } from './failure-reasons.js';
import { processLauncher } from './managed-daemon.js';
import { waitForPing } from './wait.js';

/**
 * dockerd 20.10's whole output (--debug) when its data root is on an overlay mount: recorded on this
 * project's test machine with `--storage-driver=overlay2 --data-root=<an overlay mount>`.
 */
const OVERLAY_LOG = readFileSync(new URL('./testdata/dockerd-overlay-on-overlay.txt', import.meta.url), 'utf8').trimEnd().split('\n');

/** What rootlesskit adds after the command it wraps has failed (its parent and child each say so). */
const ROOTLESSKIT_WRAPPER = [
  '[rootlesskit:child ] error: command [dockerd --debug --data-root=/var/lib/docker/rootless --storage-driver=overlay2] exited: exit status 1',
  '[rootlesskit:parent] error: child exited: exit status 1',
];

describe('explainDaemonFailure', () => {
  it('finds overlay2 on overlay in dockerd\'s recorded output, and says to mount a volume at the data root', () => {
    const known = explainDaemonFailure(OVERLAY_LOG, { dataRoot: '/var/lib/docker' });
    assert.equal(known?.reason, 'failed to mount overlay: invalid argument (storage-driver=overlay2)');
    assert.match(known?.fix ?? '', /mount a volume \(an emptyDir or a PersistentVolumeClaim\) at \/var\/lib\/docker\.$/);
  });

  it('rootless: the same reason behind rootlesskit\'s wrapper lines, naming the rootless data root and the volume that holds it', () => {
    const known = explainDaemonFailure([...OVERLAY_LOG, ...ROOTLESSKIT_WRAPPER], { dataRoot: '/var/lib/docker/rootless' });
    assert.equal(known?.reason, 'failed to mount overlay: invalid argument (storage-driver=overlay2)');
    assert.match(known?.fix ?? '', /at \/var\/lib\/docker\/rootless \(or at \/var\/lib\/docker, which holds it\)/);
    assert.ok(ROOTLESSKIT_WRAPPER.every(isWrapperLine));
  });

  it('rootless with nothing at /var/lib/docker: the rootless dockerd\'s own words (recorded in the envbox image), and the volume to mount', () => {
    // The last four lines of a real run (integration/rootless.test.ts, no volume at /var/lib/docker).
    const recorded = [
      'time="2026-12-05T00:24:41.076996509Z" level=info msg="Running with RootlessKit integration"',
      'Unable to get the full path to root (/var/lib/docker/rootless): failed to canonicalise path for /var/lib/docker/rootless: lstat /var/lib/docker/rootless: permission denied',
      '[rootlesskit:child ] error: command [dockerd --debug --log-level=debug --host=unix:///run/envbox-rootless/docker.sock --data-root=/var/lib/docker/rootless --storage-driver=overlay2] exited: exit status 1',
      '[rootlesskit:parent] error: child exited: exit status 1',
    ];
    const known = explainDaemonFailure(recorded, { dataRoot: '/var/lib/docker/rootless' });
    assert.match(known?.reason ?? '', /^Unable to get the full path to root \(\/var\/lib\/docker\/rootless\): .*permission denied$/);
    assert.match(known?.fix ?? '', /mount a volume \(an emptyDir or a PersistentVolumeClaim\) at \/var\/lib\/docker\/rootless \(or at \/var\/lib\/docker, which holds it\)/);
  });

  it('knows the other causes dockerd gives, each with its own fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables failed: iptables -t nat -N DOCKER: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)', /privileged/],
      ['failed to start daemon: Can\'t create ID mappings: No subuid ranges found for user "coder"', /\/etc\/subuid/],
      ['[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 77 [0 1001 1 1 100000 65536] failed: newuidmap: uid range [1-65537) -> [100000-165536) not allowed: exit status 1', /\/etc\/subuid/],
      ['time="t" level=error msg="write /var/lib/docker/x: no space left on device"', /is full/],
      ['failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid', /pidfile/],
    ];
    for (const [line, fix] of cases) {
      assert.match(explainDaemonFailure(['time="t" level=info msg="Starting up"', line], { dataRoot: '/var/lib/docker' })?.fix ?? '', fix, line);
    }
  });

  it('names no cause for output that has none, and ignores causes mentioned only in passing', () => {
    assert.equal(explainDaemonFailure(['failed to start daemon: something new'], { dataRoot: '/d' }), undefined);
    assert.equal(explainDaemonFailure([
      'time="t" level=info msg="User namespaces: ID ranges will be mapped to subuid/subgid ranges of: coder"',
      'time="t" level=debug msg="unable to initialize firewalld; using raw iptables instead"',
      ...ROOTLESSKIT_WRAPPER,
    ], { dataRoot: '/d' }), undefined);
  });

  it('reads the data root behind any wrapper', () => {
    assert.equal(dataRootOf(['setpriv', '--', 'rootlesskit', '--net=slirp4netns', 'dockerd', '--data-root=/var/lib/docker/rootless']), '/var/lib/docker/rootless');
    assert.equal(dataRootOf(['dockerd', '--data-root', '/srv/d']), '/srv/d');
    assert.equal(dataRootOf(['dockerd']), '/var/lib/docker');
  });
});

describe('a daemon that cannot start: the error line', () => {
  const quiet = pino({ level: 'silent' });

  for (const [label, wrapper] of [['rootful', [] as string[]], ['rootless (rootlesskit\'s lines last)', ROOTLESSKIT_WRAPPER]] as const) {
    it(`${label}: says dockerd's own reason and the fix, from its real output`, async () => {
      // A stand-in dockerd that writes the recorded output to stderr and exits 1, as the real one did.
      const script = `process.stderr.write(${JSON.stringify([...OVERLAY_LOG, ...wrapper].join('\n') + '\n')}); process.exitCode = 1;`;
      const daemons = await processLauncher(quiet, (t) => t).start({
        dockerdArgv: [process.execPath, '-e', script, '--', '--data-root=/var/lib/docker'],
        dockerdEnv: {},
        sysbox: { enabled: false, disableIdmappedMount: false },
      });
      const error = await waitForPing(() => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')), { timeoutMs: 30_000, exited: daemons.unexpectedExit })
        .then(() => undefined, (e: unknown) => e);
      const paragraph = failureParagraph(error);
      assert.match(paragraph, /^dockerd exited before it answered: dockerd exited with code 1: failed to mount overlay: invalid argument \(storage-driver=overlay2\)\. /);
      assert.match(paragraph, /mount a volume \(an emptyDir or a PersistentVolumeClaim\) at \/var\/lib\/docker\. Its last output: /);
      assert.match(paragraph, /failed to start daemon: error initializing graphdriver: driver not supported/, 'dockerd\'s last words are still quoted');
      assert.doesNotMatch(paragraph, /rootlesskit/, 'the wrapper lines are left out of the quote');
      assert.doesNotMatch(paragraph, /\n/, 'one line');
    });
  }
});
