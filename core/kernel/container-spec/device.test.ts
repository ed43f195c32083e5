import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActionBody } from '../actions.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from './device.js';
import type { ContainerCreateBody } from './types.js';

const FUSE: DeviceNode = { hostPath: '/tmp/coder-fuse', containerPath: '/dev/fuse', major: 10, minor: 229 };

function frozenBody(): ContainerCreateBody {
  const hostConfig = Object.freeze({ Runtime: 'x', Binds: Object.freeze(['/a:/a']) as string[] });
  return Object.freeze({ Image: 'ubuntu', Env: Object.freeze([] as string[]) as string[], HostConfig: hostConfig });
}

describe('withDeviceNode', () => {
  it('under sysbox-runc maps the node as a device, and nothing else', () => {
    const input = frozenBody();
    const out = withDeviceNode(input, 'sysbox-runc', FUSE);
    assert.deepEqual(out.HostConfig.Devices, [{ PathOnHost: '/tmp/coder-fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(out.HostConfig.Binds, ['/a:/a']);
    assert.equal(out.HostConfig.DeviceCgroupRules, undefined);
  });

  for (const runtime of ['runc', 'crun']) {
    it(`under ${runtime} binds the node and allows it with a device cgroup rule`, () => {
      const out = withDeviceNode(frozenBody(), runtime, FUSE);
      assert.deepEqual(out.HostConfig.Binds, ['/a:/a', '/tmp/coder-fuse:/dev/fuse']);
      assert.deepEqual(out.HostConfig.DeviceCgroupRules, ['c 10:229 rwm']);
      assert.equal(out.HostConfig.Devices, undefined);
    });
  }

  for (const runtime of ['sysbox-runc', 'runc']) {
    it(`is pure and idempotent under ${runtime}`, () => {
      const input = frozenBody();
      const before = structuredClone(input);
      const once = withDeviceNode(input, runtime, FUSE);
      assert.deepEqual(input, before);
      assert.deepEqual(withDeviceNode(once, runtime, FUSE), once);
    });
  }

  it('keeps two different nodes apart', () => {
    const tun: DeviceNode = { hostPath: '/tmp/coder-tun', containerPath: '/dev/net/tun', major: 10, minor: 200 };
    const out = withDeviceNode(withDeviceNode(frozenBody(), 'runc', FUSE), 'runc', tun);
    assert.deepEqual(out.HostConfig.Binds, ['/a:/a', '/tmp/coder-fuse:/dev/fuse', '/tmp/coder-tun:/dev/net/tun']);
    assert.deepEqual(out.HostConfig.DeviceCgroupRules, ['c 10:229 rwm', 'c 10:200 rwm']);
  });
});

describe('declareDeviceNode', () => {
  it('refuses a node under /dev (/dev/kvm exists: it is passed with withDeviceNode alone), declaring nothing', () => {
    const declared: unknown[] = [];
    assert.throws(() => declareDeviceNode({ act: (action) => declared.push(action) }, { hostPath: '/dev/kvm', containerPath: '/dev/kvm', major: 10, minor: 232 }, 100000),
      /\/dev\/kvm is one of the outer container's devices \(under \/dev\); pass an existing node with withDeviceNode/);
    assert.deepEqual(declared, []);
  });

  it('declares mknod (mode 0666) and a chown to the id offset, in that order', () => {
    const declared: ActionBody[] = [];
    declareDeviceNode({ act: (action) => declared.push(action) }, FUSE, 100000);
    assert.deepEqual(declared, [
      { kind: 'mknod', path: '/tmp/coder-fuse', major: 10, minor: 229, mode: '0666' },
      { kind: 'chown', path: '/tmp/coder-fuse', uid: 100000, gid: 100000 },
    ]);
  });

  it('chowns to whatever offset it is given', () => {
    const declared: ActionBody[] = [];
    declareDeviceNode({ act: (action) => declared.push(action) }, FUSE, 231072);
    assert.deepEqual(declared[1], { kind: 'chown', path: '/tmp/coder-fuse', uid: 231072, gid: 231072 });
  });
});
