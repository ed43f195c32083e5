import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rootlessHost } from '../testing/index.js';
import { startLifecycle } from './support/lifecycle-run.js';

const ROOTLESS = { ENVBOX_ROOTLESS: 'true', ENVBOX_RUNTIME: 'runc' };

describe('envbox docker, rootless (fake daemon and Docker)', () => {
  it('starts the rootless command line as the rootless user, without sysbox, and stops with exit 0', async () => {
    const run = await startLifecycle(ROOTLESS, { host: rootlessHost() });
    await run.untilLine((e) => e.type === 'done');
    const argv = run.launcher.starts[0]!;
    // Without envbox's secrets: every process of the rootless daemon runs as the user that the containers' root maps to.
    assert.deepEqual(argv.slice(0, 11), ['setpriv', '--reuid=1001', '--regid=1001', '--init-groups', '--', 'env', '-u', 'CODER_AGENT_TOKEN', '-u', 'CODER_IMAGE_PULL_SECRET', '--']);
    assert.equal(argv[11], 'rootlesskit');
    assert.ok(!run.log.some((e) => /sysbox/.test(e.output)));
    assert.ok(run.log.some((e) => /^Starting a rootless dockerd as envbox \(uid 1001, subordinate ids 10000-65535\)/.test(e.output)));
    assert.equal(run.docker.created.get('workspace_cvm')!.HostConfig.Runtime, 'runc');
    run.stop();
    assert.equal(await run.exit, 0);
  });

  it('fails fast with exit 1 and one paragraph when a requirement is missing, starting nothing', async () => {
    const host = rootlessHost().file('/proc/self/status', 'Seccomp:\t2\n');
    const run = await startLifecycle(ROOTLESS, { host });
    assert.equal(await run.exit, 1);
    assert.equal(run.launcher.starts.length, 0);
    assert.match(run.status.failure ?? '', /^ENVBOX_ROOTLESS cannot start: envbox runs under a seccomp filter .* seccomp=unconfined`\.$/);
  });

  it('refuses an image with /sbin/init with exit 2, as soon as the image is known', async () => {
    const run = await startLifecycle(ROOTLESS, { host: rootlessHost(), before: (docker) => { docker.hasInit = true; } });
    assert.equal(await run.exit, 2);
    assert.equal(run.docker.created.has('workspace_cvm'), false);
    assert.match(run.status.failure ?? '', /ENVBOX_SKIP_INIT=true/);
  });

  it('puts the unenforced-limits warning in the status, once', async () => {
    const run = await startLifecycle({ ...ROOTLESS, CODER_CPUS: '2', CODER_MEMORY: '1Gi', ENVBOX_CGROUP_ROOT: '/sys/fs/cgroup' }, { host: rootlessHost() });
    await run.untilLine((e) => e.type === 'done');
    assert.equal(run.status.warnings.length, 1);
    assert.match(run.status.warnings[0]!, /^CODER_CPUS=2 and CODER_MEMORY=1073741824 not enforced on the workspace: the node uses cgroup v1/);
    run.stop();
    assert.equal(await run.exit, 0);
  });
});
