import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeActions, MemoryHost, runContainerSpec } from 'envbox/testing';
import kvm from './kvm.mjs';

const withKvm = () => new MemoryHost().charDevice('/dev/kvm', 10, 232, 0o660);

describe('example: kvm', () => {
  it('maps /dev/kvm as a device under sysbox-runc and opens the node to the workspace users', async () => {
    const { body, actions } = await runContainerSpec([kvm()], { host: withKvm() });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(describeActions(actions), ['kvm/containerSpec: chmod 0666 /dev/kvm (best effort)']);
  });

  it('binds it with a device cgroup rule under runc', async () => {
    const { body } = await runContainerSpec([kvm()], { host: withKvm(), runtime: 'runc' });
    assert.deepEqual(body.HostConfig.Binds, ['/dev/kvm:/dev/kvm']);
    assert.deepEqual(body.HostConfig.DeviceCgroupRules, ['c 10:232 rwm']);
  });

  it('changes nothing on a node without KVM, and says so', async () => {
    const { body, actions, buildLog } = await runContainerSpec([kvm()], { host: new MemoryHost() });
    assert.equal(body.HostConfig.Devices, undefined);
    assert.deepEqual(actions, []);
    assert.ok(buildLog.some((e) => e.output === '/dev/kvm does not exist on this node; the workspace runs without KVM.'));
  });

  it('does not replace a /dev/kvm mapping that is already there', async () => {
    const existing = { Image: 'ubuntu', HostConfig: { Devices: [{ PathOnHost: '/dev/other-kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rw' }] } };
    const { body } = await runContainerSpec([kvm()], { host: withKvm(), body: existing });
    assert.deepEqual(body.HostConfig.Devices, existing.HostConfig.Devices);
  });
});
