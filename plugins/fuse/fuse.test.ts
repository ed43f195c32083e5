import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from 'envbox';
import { prepareTest, runContainerSpec } from 'envbox/testing';
import { tunPlugin } from '../tun/index.js';
import { fusePlugin } from './index.js';
import { addFuse } from './inputs.js';

describe('fuse plugin', () => {
  it('changes nothing when CODER_ADD_FUSE is off', async () => {
    const { body, actions } = await runContainerSpec([fusePlugin()], { env: { CODER_ADD_FUSE: 'false' } });
    assert.deepEqual(body.HostConfig.Devices ?? [], []);
    assert.deepEqual(body.HostConfig.DeviceCgroupRules ?? [], []);
    assert.deepEqual(actions, []);
  });

  it('maps the node as a device under sysbox-runc and declares mknod 10:229 + chown to the id offset', async () => {
    const { body, actions } = await runContainerSpec([fusePlugin()], { env: { CODER_ADD_FUSE: 'true' } });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/tmp/coder-fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(actions, [
      { kind: 'mknod', path: '/tmp/coder-fuse', major: 10, minor: 229, mode: '0666', plugin: 'fuse', hook: 'containerSpec' },
      { kind: 'chown', path: '/tmp/coder-fuse', uid: 100000, gid: 100000, plugin: 'fuse', hook: 'containerSpec' },
    ]);
  });

  it('follows ENVBOX_DEVICE_DIR and ENVBOX_ID_OFFSET', async () => {
    const { actions } = await runContainerSpec([fusePlugin()], { env: { CODER_ADD_FUSE: 'yes', ENVBOX_DEVICE_DIR: '/run/envbox/', ENVBOX_ID_OFFSET: '200000' } });
    assert.deepEqual(actions.map((a) => [a.kind, 'path' in a ? a.path : null]), [['mknod', '/run/envbox/coder-fuse'], ['chown', '/run/envbox/coder-fuse']]);
    assert.deepEqual(actions[1], { kind: 'chown', path: '/run/envbox/coder-fuse', uid: 200000, gid: 200000, plugin: 'fuse', hook: 'containerSpec' });
  });

  it('binds the node and allows c 10:229 under runc, which is not in docker\'s default device list', async () => {
    const { body } = await runContainerSpec([fusePlugin()], { env: { CODER_ADD_FUSE: '1', ENVBOX_DEVICE_DIR: '/run/dev' }, runtime: 'runc' });
    assert.deepEqual(body.HostConfig.Binds, ['/run/dev/coder-fuse:/dev/fuse']);
    assert.deepEqual(body.HostConfig.DeviceCgroupRules, ['c 10:229 rwm']);
    assert.equal(body.HostConfig.Devices, undefined);
  });

  it('keeps the devices in plugin order when tun and fuse are both on (tun first, as the original)', async () => {
    const { body } = await runContainerSpec([tunPlugin(), fusePlugin()], { env: { CODER_ADD_TUN: 'true', CODER_ADD_FUSE: 'true' } });
    assert.deepEqual(body.HostConfig.Devices?.map((d) => [d.PathOnHost, d.PathInContainer]), [
      ['/tmp/coder-tun', '/dev/net/tun'],
      ['/tmp/coder-fuse', '/dev/fuse'],
    ]);
  });

  it('is idempotent: applying the plugin again to its own result changes nothing', async () => {
    const run = { env: { CODER_ADD_FUSE: 'true' }, runtime: 'runc' };
    const once = await runContainerSpec([fusePlugin()], run);
    const twice = await runContainerSpec([fusePlugin()], { ...run, body: once.body });
    assert.deepEqual(twice.body, once.body);
    assert.equal(twice.body.HostConfig.Binds?.length, 1);
    assert.equal(twice.body.HostConfig.DeviceCgroupRules?.length, 1);
  });

  it('rejects a value that is not a boolean, naming the variable and an example', async () => {
    await assert.rejects(prepareTest([fusePlugin()], { env: { CODER_ADD_FUSE: 'maybe' } }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^CODER_ADD_FUSE: "maybe" is not a boolean .*Example: CODER_ADD_FUSE=true$/);
      return true;
    });
  });

  it('accepts the bare flag --add-fuse', async () => {
    assert.equal((await prepareTest([fusePlugin()], { argv: ['--add-fuse'] })).options.get(addFuse), true);
  });
});
