import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHost } from '../testing/memory-host.js';
import { startLifecycle, type LifecycleRun } from './support/lifecycle-run.js';

const NO_SPACE = 'write /var/lib/docker/overlay2/abc/diff/usr/bin/x: no space left on device';

/** Fails the first `count` calls of a method with "no space left on device". */
function fullFor(count: number) {
  let calls = 0;
  return () => (++calls <= count ? new Error(NO_SPACE) : undefined);
}

/** Fails only the `nth` call. */
function fullAt(nth: number) {
  let calls = 0;
  return () => (++calls === nth ? new Error(NO_SPACE) : undefined);
}

/** The daemon calls and restarts, in the order they happened. */
function story(run: LifecycleRun): string[] {
  return run.docker.methods().filter((m) => ['pullImage', 'pruneImages', 'createContainer', 'startContainer'].includes(m));
}

async function stopped(run: LifecycleRun): Promise<void> {
  await run.untilLine((e) => e.type === 'done');
  run.stop();
  assert.equal(await run.exit, 0);
}

describe('a full disk, as coder/envbox answers it: prune and pull again, then vfs', () => {
  it('a pull that fits after a prune needs no vfs restart', async () => {
    const run = await startLifecycle({}, { before: (docker) => docker.failures.set('pullImage', fullFor(1)) });
    await stopped(run);
    assert.deepEqual(story(run).slice(0, 3), ['pullImage', 'pruneImages', 'pullImage']);
    assert.equal(run.launcher.restarts.length, 0);
    assert.ok(run.log.some((e) => /ran out of disk.*Pruning unused images/.test(e.output)));
  });

  it('a pull still full after the prune restarts dockerd with vfs, and pulls there', async () => {
    let restartedAfter = -1;
    const run = await startLifecycle({}, {
      before: (docker, launcher) => {
        docker.failures.set('pullImage', fullFor(2));
        const restart = launcher.restarts.push.bind(launcher.restarts);
        launcher.restarts.push = (...argv) => { restartedAfter = story(run).length; return restart(...argv); };
      },
    });
    await stopped(run);
    assert.deepEqual(story(run).slice(0, 4), ['pullImage', 'pruneImages', 'pullImage', 'pullImage']);
    assert.equal(restartedAfter, 3, 'dockerd is restarted after the prune and the second pull, before the third');
    assert.ok(run.launcher.restarts[0]!.includes('--storage-driver=vfs'));
  });

  // The image-facts probe creates a container first (never starts it): the workspace's create is the second.
  for (const [step, nth, calls] of [['createContainer', 1, 3], ['createContainer', 2, 4], ['startContainer', 1, 2]] as const) {
    it(`a full disk at ${step} (call ${nth}) restarts dockerd with vfs and does the pull, create and start again`, async () => {
      const run = await startLifecycle({}, { before: (docker) => docker.failures.set(step, fullAt(nth)) });
      await stopped(run);
      assert.equal(run.launcher.restarts.length, 1);
      assert.ok(run.launcher.restarts[0]!.includes('--storage-driver=vfs'));
      assert.equal(story(run).filter((m) => m === 'pullImage').length, 2);
      assert.equal(story(run).filter((m) => m === step).length, calls);
      assert.ok(run.log.some((e) => /Insufficient space/.test(e.output)));
    });
  }

  it('still full on vfs: exit 1, saying the disk is full and what to free', async () => {
    const run = await startLifecycle({}, { before: (docker) => docker.failures.set('startContainer', fullFor(2)) });
    assert.equal(await run.exit, 1);
    assert.equal(run.launcher.restarts.length, 1);
    const error = run.log.find((e) => e.type === 'error')!.output;
    assert.match(error, /the disk is full: .*no space left on device/);
    assert.match(error, /vfs driver on \/var\/lib\/docker\.bak .*Free space on the volumes of \/var\/lib\/docker and \/var\/lib\/docker\.bak/);
  });

  it('a daemon envbox did not start is neither pruned nor restarted: exit 1 with what to do', async () => {
    const run = await startLifecycle({ ENVBOX_DOCKER_HOST: 'unix:///run/other.sock' }, { before: (docker) => docker.failures.set('pullImage', fullFor(5)) });
    assert.equal(await run.exit, 1);
    assert.ok(!run.docker.methods().includes('pruneImages'));
    assert.equal(run.launcher.restarts.length, 0);
    const error = run.log.find((e) => e.type === 'error')!.output;
    assert.match(error, /the disk is full: pulling .* no space left on device/);
    assert.match(error, /not envbox's, so envbox does not restart it with vfs or prune it \(ENVBOX_PRUNE_IMAGES=true would\)/);
  });

  it('ENVBOX_PRUNE_IMAGES=false: no prune, straight to vfs', async () => {
    const run = await startLifecycle({ ENVBOX_PRUNE_IMAGES: 'F' }, { before: (docker) => docker.failures.set('pullImage', fullFor(1)) });
    await stopped(run);
    assert.ok(!run.docker.methods().includes('pruneImages'));
    assert.equal(run.launcher.restarts.length, 1);
  });
});

describe('a data root dockerd cannot use', () => {
  it('NFS at /var/lib/docker: exit 1 before dockerd starts, naming the mount and the fix', { timeout: 20_000 }, async () => {
    const host = new MemoryHost({}).link('eth0', 1400).mount('/var/lib/docker', { fstype: 'nfs4', source: 'nas.corp:/exports/ws', options: ['rw'] });
    const run = await startLifecycle({}, { host });
    assert.equal(await run.exit, 1);
    assert.equal(run.launcher.starts.length, 0);
    const error = run.log.find((e) => e.type === 'error')!.output;
    assert.match(error, /data root \/var\/lib\/docker is on NFS \(nfs4 nas\.corp:\/exports\/ws at \/var\/lib\/docker\)/);
    assert.match(error, /a volume on a local filesystem/);
  });

  it('a local filesystem there starts as usual', async () => {
    const host = new MemoryHost({}).link('eth0', 1400).mount('/var/lib/docker', { fstype: 'ext4', source: '/dev/sdb', options: ['rw'] });
    await stopped(await startLifecycle({}, { host }));
  });
});
