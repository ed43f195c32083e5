import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coreInputs, InputError } from 'envbox';
import { MemoryHost, runConfigure, runPrePull } from 'envbox/testing';
import { certsPlugin, extraCertsPathProblem } from './index.js';

/** Runs prePull with the build log kept, so that its lines can be checked. */
async function prePull(env: Record<string, string>, host = new MemoryHost()) {
  const run = await runPrePull([certsPlugin()], { env, host });
  assert.deepEqual(run.pull, { image: run.options.get(coreInputs.innerImage), auth: null }, 'the pull itself is not changed');
  const actions = run.actions.map(({ plugin, hook, ...a }) => (assert.deepEqual([plugin, hook], ['certs', 'prePull']), a));
  return { actions, buildLog: run.buildLog.map((e) => e.output) };
}

const image = { CODER_INNER_IMAGE: 'test.registry.com/team/app:1' };

describe('certs plugin', () => {
  it('does nothing when CODER_EXTRA_CERTS_PATH is unset', async () => {
    const { actions, buildLog } = await prePull(image, new MemoryHost().file('/certs/ca.crt'));
    assert.deepEqual(actions, []);
    assert.deepEqual(buildLog, []);
  });

  it('copies a single file to <certs.d>/<registry>/ca.crt (the original\'s SingleCertFile)', async () => {
    const host = new MemoryHost().file('/certs/my-ca.pem', 'test certificate content');
    const { actions, buildLog } = await prePull({ ...image, CODER_EXTRA_CERTS_PATH: '/certs/my-ca.pem' }, host);
    assert.deepEqual(actions, [
      { kind: 'mkdir', path: '/etc/docker/certs.d/test.registry.com', mode: '0755' },
      { kind: 'copyFile', from: '/certs/my-ca.pem', to: '/etc/docker/certs.d/test.registry.com/ca.crt', mode: '0644' },
    ]);
    assert.deepEqual(buildLog, ['Copying certificates from "/certs/my-ca.pem" to "/etc/docker/certs.d/test.registry.com"']);
  });

  it('copies every file in a directory\'s root under its own name, skipping subdirectories (MultipleCertFiles)', async () => {
    const host = new MemoryHost().file('/certs/ca.crt').file('/certs/client.cert').file('/certs/client.key').file('/certs/nested/other.crt');
    const { actions } = await prePull({ ...image, CODER_EXTRA_CERTS_PATH: '/certs/' }, host);
    assert.deepEqual(actions, [
      { kind: 'mkdir', path: '/etc/docker/certs.d/test.registry.com', mode: '0755' },
      ...['ca.crt', 'client.cert', 'client.key'].map((name) => (
        { kind: 'copyFile', from: `/certs/${name}`, to: `/etc/docker/certs.d/test.registry.com/${name}`, mode: '0644' })),
    ]);
  });

  it('leaves an existing registry certs dir alone and says so (ExistingRegistryCertsDir)', async () => {
    const host = new MemoryHost().file('/etc/docker/certs.d/test.registry.com/existing.crt').file('/certs/ca.crt');
    const { actions, buildLog } = await prePull({ ...image, CODER_EXTRA_CERTS_PATH: '/certs' }, host);
    assert.deepEqual(actions, []);
    assert.equal(buildLog.length, 1);
    assert.match(buildLog[0]!, /"\/etc\/docker\/certs.d\/test.registry.com" already exists/);
  });

  it('follows the symlinks of a Kubernetes secret volume and skips its ..data entries', async () => {
    const host = new MemoryHost()
      .file('/certs/..2026_11_28_16_00_00.123/ca.crt')
      .symlink('/certs/..data', '..2026_11_28_16_00_00.123')
      .symlink('/certs/ca.crt', '/certs/..2026_11_28_16_00_00.123/ca.crt');
    const { actions } = await prePull({ ...image, CODER_EXTRA_CERTS_PATH: '/certs' }, host);
    assert.deepEqual(actions.slice(1), [{ kind: 'copyFile', from: '/certs/ca.crt', to: '/etc/docker/certs.d/test.registry.com/ca.crt', mode: '0644' }]);
  });

  for (const [ref, dir] of [
    ['ubuntu', 'docker.io'],
    ['codercom/enterprise-base:ubuntu', 'docker.io'],
    ['registry.test:5000/ns/img:tag', 'registry.test:5000'],
    ['localhost:5000/x', 'localhost:5000'],
  ] as const) {
    it(`names the certs dir after the registry of ${ref}: ${dir}`, async () => {
      const { actions } = await prePull({ CODER_INNER_IMAGE: ref, CODER_EXTRA_CERTS_PATH: '/ca.pem' }, new MemoryHost().file('/ca.pem'));
      assert.deepEqual(actions[0], { kind: 'mkdir', path: `/etc/docker/certs.d/${dir}`, mode: '0755' });
    });
  }

  it('puts the dir under ENVBOX_CERTS_DIR', async () => {
    const { actions } = await prePull({ ...image, CODER_EXTRA_CERTS_PATH: '/ca.pem', ENVBOX_CERTS_DIR: '/srv/docker/certs.d' }, new MemoryHost().file('/ca.pem'));
    assert.deepEqual(actions.map((a) => a.kind === 'copyFile' ? a.to : 'path' in a && a.path),
      ['/srv/docker/certs.d/test.registry.com', '/srv/docker/certs.d/test.registry.com/ca.crt']);
  });

  it('refuses in configure (exit 2), naming CODER_EXTRA_CERTS_PATH, a path that does not exist', async () => {
    await assert.rejects(runConfigure([certsPlugin()], { env: { ...image, CODER_EXTRA_CERTS_PATH: '/missing/ca.pem' }, host: new MemoryHost() }), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, /CODER_EXTRA_CERTS_PATH: "\/missing\/ca.pem" does not exist/);
      assert.match(error.message, /CODER_EXTRA_CERTS_PATH=\/etc\/envbox\/certs/);
      return true;
    });
  });

  it('refuses in configure a path that is neither a file nor a directory', async () => {
    await assert.rejects(runConfigure([certsPlugin()], { env: { ...image, CODER_EXTRA_CERTS_PATH: '/dev/null' }, host: new MemoryHost().charDevice('/dev/null', 1, 3) }),
      (error: unknown) => error instanceof InputError && /CODER_EXTRA_CERTS_PATH: "\/dev\/null" is a character device, not a certificate file/.test(error.message));
  });

  it('has no problem with an unset variable or a directory', () => {
    assert.equal(extraCertsPathProblem(undefined, undefined), null);
    assert.equal(extraCertsPathProblem('/c', { kind: 'dir', mode: 0o755, uid: 0, gid: 0, dev: 1, ino: 1 }), null);
  });
});
