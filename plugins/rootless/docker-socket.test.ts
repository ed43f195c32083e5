import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionsOf, describeActions, rootlessHost, runConfigure, runContainerSpec, runPlan, runPreDaemon } from './testing.js';
import { InputError } from 'envbox';
import { mountsPlugin } from '../mounts/index.js';
import { rootlessDockerPlugin } from './index.js';

const ROOTLESS = { ENVBOX_ROOTLESS: 'true' };

describe('rootless-docker: the rootless daemon\'s socket in the workspace', () => {
  it('binds the socket at /var/run/docker.sock, sets DOCKER_HOST, and gives it to the workspace user\'s group as the rootless namespace maps it', async () => {
    const { body, actions } = await runContainerSpec([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost() });
    assert.deepEqual(body.HostConfig.Binds, ['/run/envbox-rootless/docker.sock:/var/run/docker.sock']);
    assert.ok(body.Env?.includes('DOCKER_HOST=unix:///var/run/docker.sock'), JSON.stringify(body.Env));
    // Owner: the daemon's root, i.e. envbox (1001); group: the workspace user's gid 1000 -> 10000 + 1000 - 1.
    assert.deepEqual(describeActions(actions), [
      'rootless-docker/containerSpec: chown 1001:10999 /run/envbox-rootless/docker.sock',
      'rootless-docker/containerSpec: chmod 0660 /run/envbox-rootless/docker.sock',
    ]);
  });

  it('follows ENVBOX_DOCKER_SOCKET and the workspace user\'s gid', async () => {
    const { body, actions } = await runContainerSpec([rootlessDockerPlugin()], {
      env: { ...ROOTLESS, ENVBOX_DOCKER_SOCKET: '/run/elsewhere/d.sock' }, host: rootlessHost(),
      facts: { uid: 1000, gid: 4242, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' },
    });
    assert.deepEqual(body.HostConfig.Binds, ['/run/elsewhere/d.sock:/var/run/docker.sock']);
    assert.equal(describeActions(actions)[0], 'rootless-docker/containerSpec: chown 1001:14241 /run/elsewhere/d.sock');
  });

  it('is idempotent: applying it to its own result changes nothing', async () => {
    const first = await runContainerSpec([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost() });
    const second = await runContainerSpec([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost(), body: first.body });
    assert.deepEqual(second.body, first.body);
  });

  it('keeps a DOCKER_HOST the workspace env already has', async () => {
    const { body } = await runContainerSpec([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost() });
    const withOwn = { ...body, Env: ['DOCKER_HOST=tcp://builder:2375'], HostConfig: { ...body.HostConfig, Binds: [] } };
    const next = await runContainerSpec([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost(), body: withOwn });
    assert.deepEqual(next.body.Env, ['DOCKER_HOST=tcp://builder:2375']);
    assert.deepEqual(next.body.HostConfig.Binds, ['/run/envbox-rootless/docker.sock:/var/run/docker.sock']);
  });

  it('leaves a /var/run/docker.sock the user mounted alone (CODER_MOUNTS), says so, and changes no owner', async () => {
    const { body, actions, buildLog } = await runContainerSpec([mountsPlugin(), rootlessDockerPlugin()], {
      env: { ...ROOTLESS, CODER_MOUNTS: '/srv/other.sock:/var/run/docker.sock' }, host: rootlessHost(),
    });
    assert.ok(body.HostConfig.Binds?.includes('/srv/other.sock:/var/run/docker.sock'));
    assert.equal(body.HostConfig.Binds?.filter((b) => b.endsWith(':/var/run/docker.sock')).length, 1);
    assert.deepEqual(actionsOf(actions, 'rootless-docker'), []);
    assert.ok(buildLog.some((l) => /ENVBOX_ROOTLESS_DOCKER_SOCKET: \/var\/run\/docker.sock is already mounted/.test(l.output)));
  });

  it('does nothing with ENVBOX_ROOTLESS_DOCKER_SOCKET=false, or without ENVBOX_ROOTLESS (the workspace has no socket)', async () => {
    for (const run of [{ env: { ...ROOTLESS, ENVBOX_ROOTLESS_DOCKER_SOCKET: 'false' }, host: rootlessHost() }, { env: {} }]) {
      const { body, actions } = await runContainerSpec([rootlessDockerPlugin()], run);
      assert.equal(body.HostConfig.Binds, undefined);
      assert.ok(!body.Env?.some((e) => e.startsWith('DOCKER_HOST=')));
      assert.deepEqual(actions, []);
    }
  });

  it('refuses a value that is not a boolean (exit 2), naming the variable', async () => {
    await assert.rejects(runConfigure([rootlessDockerPlugin()], { env: { ...ROOTLESS, ENVBOX_ROOTLESS_DOCKER_SOCKET: 'maybe' } }),
      (e: unknown) => e instanceof InputError && /ENVBOX_ROOTLESS_DOCKER_SOCKET/.test(e.message));
  });

  it('shows in envbox plan: the bind, DOCKER_HOST and the chown/chmod of the socket', async () => {
    const { plan } = await runPlan([rootlessDockerPlugin()], { env: ROOTLESS, host: rootlessHost() });
    assert.ok(plan.container.create.HostConfig.Binds?.includes('/run/envbox-rootless/docker.sock:/var/run/docker.sock'));
    assert.ok(plan.container.create.Env?.includes('DOCKER_HOST=unix:///var/run/docker.sock'));
    const mine = describeActions(actionsOf(plan.actions, 'rootless-docker'));
    assert.deepEqual(mine, [
      'rootless-docker/containerSpec: chown 1001:10999 /run/envbox-rootless/docker.sock',
      'rootless-docker/containerSpec: chmod 0660 /run/envbox-rootless/docker.sock',
    ]);
  });

  it('widens the default /30 bridge to a /24, so that containers the workspace starts get an address; a CIDR the user set is kept', async () => {
    const bip = async (env: Record<string, string>) => (await runPreDaemon([rootlessDockerPlugin()], { env, host: rootlessHost() })).daemon.argv.filter((a) => a.startsWith('--bip='));
    assert.deepEqual(await bip(ROOTLESS), ['--bip=172.19.0.1/24']);
    assert.deepEqual(await bip({ ...ROOTLESS, CODER_DOCKER_BRIDGE_CIDR: '10.7.0.1/28' }), ['--bip=10.7.0.1/28']);
    assert.deepEqual(await bip({ ...ROOTLESS, ENVBOX_ROOTLESS_DOCKER_SOCKET: 'false' }), ['--bip=172.19.0.1/30']);
    assert.deepEqual(await bip({}), ['--bip=172.19.0.1/30']);
  });
});
