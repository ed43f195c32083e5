import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPlan } from '../core/engine/lifecycle/plan.js';
import { prepare, startLifecycle } from './support/lifecycle-run.js';

const FACTS = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' };
type PlanDoc = { daemon: { sysbox: { mgr: string[]; fs: string[] } | null }; actions: Array<{ kind: string; path?: string; options?: string; hook?: string }> };

async function plan(env: Record<string, string>): Promise<PlanDoc> {
  const { app } = await prepare({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(FACTS) }, { mode: 'plan' });
  return JSON.parse(await runPlan(app, () => { throw new Error('plan must not need a daemon when facts are given'); })) as PlanDoc;
}

describe('sysbox in plan: the daemons\' command lines and the /sys remount', () => {
  it('shows sysbox-mgr with --disable-idmapped-mount when CODER_DISABLE_IDMAPPED_MOUNT is set, and sysbox-fs', async () => {
    assert.deepEqual((await plan({ ENVBOX_RUNTIME: 'sysbox-runc', CODER_DISABLE_IDMAPPED_MOUNT: 'T' })).daemon.sysbox,
      { mgr: ['sysbox-mgr', '--disable-idmapped-mount'], fs: ['sysbox-fs'] });
    assert.deepEqual((await plan({ ENVBOX_RUNTIME: 'sysbox-runc' })).daemon.sysbox, { mgr: ['sysbox-mgr'], fs: ['sysbox-fs'] });
  });

  it('shows no sysbox daemons, and no /sys remount, with runc', async () => {
    const doc = await plan({ ENVBOX_RUNTIME: 'runc', CODER_DISABLE_IDMAPPED_MOUNT: 'true' });
    assert.equal(doc.daemon.sysbox, null);
    assert.ok(!doc.actions.some((a) => a.path === '/sys'));
  });

  it('docker remounts /sys read-write right after the pull, as plan says, and starts sysbox as plan shows', async () => {
    const env = { ENVBOX_RUNTIME: 'sysbox-runc', CODER_DISABLE_IDMAPPED_MOUNT: '1' };
    const run = await startLifecycle(env);
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    await run.exit;
    const remount = run.actions.performed.find((a) => a.kind === 'remount' && a.path === '/sys');
    assert.deepEqual(remount && { options: (remount as { options: string }).options, hook: remount.hook }, { options: 'rw', hook: 'postPull' });
    const doc = await plan(env);
    assert.deepEqual(doc.actions, JSON.parse(JSON.stringify(run.actions.performed)));
    assert.deepEqual(run.launcher.sysbox, [{ enabled: true, disableIdmappedMount: true }]);
  });
});
