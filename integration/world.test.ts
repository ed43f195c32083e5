// Smoke test of the test world itself, without envbox: if this fails, every scenario would fail
// for reasons that have nothing to do with envbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, Sandbox, type World } from './harness/index.js';

describe('test world (no envbox)', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  test('a userns-remapped dockerd in a sandbox pulls from the TLS registry with the CA and a login', { timeout: 120_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'world-with-ca', { trustRegistryCa: true });
    try {
      await sandbox.startDockerd(['--userns-remap=coder']);
      const info = await sandbox.dockerOk(['info', '--format', '{{json .SecurityOptions}}']);
      assert.match(info, /userns/, 'dockerd runs with --userns-remap');

      const anonymous = await sandbox.docker(['pull', world.images.init]);
      assert.notEqual(anonymous.exitCode, 0);
      assert.match(anonymous.stderr, /no basic auth credentials/);

      const wrong = await sandbox.docker(['login', '-u', world.registry.username, '--password-stdin', world.registry.host], { input: 'not-the-password' });
      assert.notEqual(wrong.exitCode, 0);
      assert.match(wrong.stderr, /unauthorized|authentication required/i);

      await sandbox.dockerOk(['login', '-u', world.registry.username, '--password-stdin', world.registry.host], { input: world.registry.password });
      await sandbox.dockerOk(['pull', world.images.init]);
      await sandbox.dockerOk(['pull', world.images.noinit]);

      const missing = await sandbox.docker(['pull', `${world.registry.host}/workspace:no-such-tag`]);
      assert.notEqual(missing.exitCode, 0);
      assert.match(missing.stderr, /manifest unknown|not found/);

      // The image is what the scenarios expect: coder is uid 1000 with its home, and only one variant has /sbin/init.
      const out = await sandbox.dockerOk(['run', '--rm', world.images.init, 'sh', '-c', 'id -u coder; stat -c %u /home/coder; test -x /sbin/init && echo init; . /etc/os-release; echo $ID']);
      assert.deepEqual(out.trim().split('\n'), ['1000', '1000', 'init', 'debian']);
      const noinit = await sandbox.docker(['run', '--rm', world.images.noinit, 'test', '-e', '/sbin/init']);
      assert.equal(noinit.exitCode, 1, 'the noinit variant has no /sbin/init');

      // The sandbox sees its own eth0 with MTU 1400, as envbox's MTU lookup expects.
      const mtu = await sandbox.exec(['cat', '/sys/class/net/eth0/mtu']);
      assert.equal(mtu.stdout.trim(), '1400', mtu.stderr);
    } finally {
      await sandbox.destroy();
    }
  });

  test('without the CA the pull fails with an unknown authority', { timeout: 120_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'world-without-ca');
    try {
      await sandbox.startDockerd(['--userns-remap=coder']);
      const pull = await sandbox.docker(['pull', world.images.init]);
      assert.notEqual(pull.exitCode, 0);
      assert.match(pull.stderr, /x509: certificate signed by unknown authority/);
    } finally {
      await sandbox.destroy();
    }
  });
});
