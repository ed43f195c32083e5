import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HINTS } from '../core/engine/status/hints.js';
import { startLifecycle } from './support/lifecycle-run.js';

/** runc's error under a private cgroup namespace, as coder/envbox's troubleshooting entry quotes it. */
const RUNC_CGROUPNS_ERROR = 'OCI runtime create failed: runc create failed: unable to start container process: error during container init: '
  + 'error setting cgroup config for procHooks process: failed to write 1 to cgroup.procs: '
  + 'write /sys/fs/cgroup/docker/4b1f/init.scope/cgroup.procs: operation not supported: unknown';

describe('a private cgroup namespace (coder/envbox troubleshooting: --cgroupns=host)', () => {
  it('when the workspace fails to start, the failure paragraph says to run with --cgroupns=host', async () => {
    const run = await startLifecycle({}, { before: (docker) => docker.failures.set('startContainer', new Error(`start container: (HTTP code 500) server error - ${RUNC_CGROUPNS_ERROR}`)) });
    assert.equal(await run.exit, 1);
    const error = run.log.find((e) => e.type === 'error')!;
    assert.match(error.output, /failed to write 1 to cgroup\.procs/);
    assert.ok(error.output.endsWith(HINTS.cgroupns), error.output);
    assert.match(error.output, /--cgroupns=host/);
  });

  it('when dockerd exits with it in its last output, the failure paragraph says the same', async () => {
    const run = await startLifecycle({ ENVBOX_DAEMON_TIMEOUT: '5' }, {
      before: (docker, launcher) => docker.failures.set('ping', () => {
        launcher.crash(`dockerd exited with code 1; its last output:\nlevel=error msg="${RUNC_CGROUPNS_ERROR}"`);
        return new Error('connect ENOENT /var/run/docker.sock');
      }),
    });
    assert.equal(await run.exit, 1);
    const error = run.log.find((e) => e.type === 'error')!;
    assert.match(error.output, /^dockerd exited before it answered: dockerd exited with code 1/);
    assert.match(error.output, /--cgroupns=host/);
  });

  it('gives no such advice for other cgroup write errors', async () => {
    const run = await startLifecycle({}, { before: (docker) => docker.failures.set('startContainer', new Error('start container: failed to write 1 to cgroup.procs: permission denied')) });
    assert.equal(await run.exit, 1);
    assert.doesNotMatch(run.log.find((e) => e.type === 'error')!.output, /cgroupns/);
  });
});
