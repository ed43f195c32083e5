import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from 'envbox';
import { describeActions, prepareTest, runContainerSpec } from 'envbox/testing';
import { tunPlugin } from './index.js';

describe('tun plugin', () => {
  it('changes nothing when CODER_ADD_TUN is off', async () => {
    const { body, actions } = await runContainerSpec([tunPlugin()]);
    assert.deepEqual(body.HostConfig.Devices ?? [], []);
    assert.deepEqual(actions, []);
  });

  it('maps the node as a device under sysbox-runc and declares mknod + chown to the id offset', async () => {
    const { body, actions } = await runContainerSpec([tunPlugin()], { env: { CODER_ADD_TUN: 'true' } });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/tmp/coder-tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(describeActions(actions), [
      'tun/containerSpec: mknod /tmp/coder-tun c 10 200 (mode 0666)',
      'tun/containerSpec: chown 100000:100000 /tmp/coder-tun',
    ]);
    assert.deepEqual(actions[0], { kind: 'mknod', path: '/tmp/coder-tun', major: 10, minor: 200, mode: '0666', plugin: 'tun', hook: 'containerSpec' });
    assert.deepEqual(actions[1], { kind: 'chown', path: '/tmp/coder-tun', uid: 100000, gid: 100000, plugin: 'tun', hook: 'containerSpec' });
  });

  it('binds the node and adds a cgroup rule under runc, because runc ignores PathOnHost under userns', async () => {
    const { body } = await runContainerSpec([tunPlugin()], { env: { CODER_ADD_TUN: '1', ENVBOX_DEVICE_DIR: '/run/dev' }, runtime: 'runc' });
    assert.deepEqual(body.HostConfig.Binds, ['/run/dev/coder-tun:/dev/net/tun']);
    assert.deepEqual(body.HostConfig.DeviceCgroupRules, ['c 10:200 rwm']);
    assert.equal(body.HostConfig.Devices, undefined);
  });

  it('is idempotent: applying the plugin again to its own result changes nothing', async () => {
    const run = { env: { CODER_ADD_TUN: 'true' }, runtime: 'runc' };
    const once = await runContainerSpec([tunPlugin()], run);
    const twice = await runContainerSpec([tunPlugin()], { ...run, body: once.body });
    assert.deepEqual(twice.body, once.body);
    assert.equal(twice.body.HostConfig.Binds?.length, 1);
    assert.equal(twice.body.HostConfig.DeviceCgroupRules?.length, 1);
  });

  it('rejects a value that is not a boolean, naming the variable and an example', async () => {
    await assert.rejects(prepareTest([tunPlugin()], { env: { CODER_ADD_TUN: 'sure' } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^CODER_ADD_TUN: "sure" is not a boolean .*Example: CODER_ADD_TUN=true$/);
      return true;
    });
  });
});
