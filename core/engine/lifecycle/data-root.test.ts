import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MountEntry } from '../../kernel/host-view.js';
import { parseMountinfo } from '../host/node-host.js';
import { dataRootProblem, mountOf } from './data-root.js';

const mount = (target: string, fstype: string, source = 'none'): MountEntry => ({ target, fstype, source, options: ['rw'] });
const BASE = [mount('/', 'overlay', 'overlay'), mount('/proc', 'proc'), mount('/var/lib', 'ext4', '/dev/sda1')];

describe('the data root\'s filesystem', () => {
  it('finds the deepest mount holding a path, never a sibling with a common prefix', () => {
    const mounts = [...BASE, mount('/var/lib/docker', 'nfs4', 'nas:/exports/ws'), mount('/var/lib/docker2', 'ext4')];
    assert.equal(mountOf('/var/lib/docker', mounts)?.fstype, 'nfs4');
    assert.equal(mountOf('/var/lib/docker/overlay2', mounts)?.fstype, 'nfs4');
    assert.equal(mountOf('/var/lib/docker.bak', mounts)?.fstype, 'ext4');
    assert.equal(mountOf('/home/coder', mounts)?.fstype, 'overlay');
  });

  it('a later mount on the same target hides the earlier one', () => {
    assert.equal(mountOf('/var/lib/docker', [...BASE, mount('/var/lib/docker', 'nfs'), mount('/var/lib/docker', 'ext4')])?.fstype, 'ext4');
  });

  for (const fstype of ['nfs', 'nfs4']) {
    it(`refuses a data root on ${fstype}, naming the mount`, () => {
      const problem = dataRootProblem('/var/lib/docker', [...BASE, mount('/var/lib', fstype, 'nas:/exports/ws')]);
      assert.equal(problem, `dockerd's data root /var/lib/docker is on NFS (${fstype} nas:/exports/ws at /var/lib), where overlay2 cannot store the workspace's layers`);
    });
  }

  it('accepts local filesystems', () => {
    for (const fstype of ['ext4', 'xfs', 'overlay', 'tmpfs', 'btrfs']) assert.equal(dataRootProblem('/var/lib/docker', [mount('/', fstype)]), null);
    assert.equal(dataRootProblem('/var/lib/docker', []), null);
  });

  it('reads NFS from /proc/self/mountinfo as the kernel writes it (a Kubernetes NFS PVC at /var/lib/docker)', () => {
    const mountinfo = [
      '1012 980 0:312 / / rw,relatime master:430 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
      '1013 1012 0:315 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
      '1044 1012 0:93 /pvc-1f2e /var/lib/docker rw,relatime - nfs4 10.0.0.5:/exports/pvc-1f2e rw,vers=4.1,rsize=1048576,wsize=1048576,hard,proto=tcp',
    ].join('\n');
    assert.match(dataRootProblem('/var/lib/docker', parseMountinfo(mountinfo)) ?? '', /is on NFS \(nfs4 10\.0\.0\.5:\/exports\/pvc-1f2e at \/var\/lib\/docker\)/);
  });
});
