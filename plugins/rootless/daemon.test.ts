import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeActions, rootlessHost, runConfigure, runPlan, runPreDaemon } from './testing.js';
import { coreInputs, definePlugin, EnvboxError, InputError, outerId } from 'envbox';
import { readRootlessIdentity, subordinateRange } from './identity.js';

const { dockerDataRoot, dockerExecRoot, dockerPidfile, dockerSocket, runtime } = coreInputs;

const ROOTLESS = { ENVBOX_ROOTLESS: 'true' };

describe('rootless identity and id mapping', () => {
  it('reads the user, its home and its subordinate ranges from the outer container', async () => {
    assert.deepEqual(await readRootlessIdentity(rootlessHost(), 'envbox'), {
      name: 'envbox', uid: 1001, gid: 1001, home: '/home/envbox',
      subuid: { start: 10000, count: 55536 }, subgid: { start: 10000, count: 55536 },
    });
  });

  it('finds a range given by numeric id too, and skips empty ones', () => {
    assert.deepEqual(subordinateRange('other:1:5\n1000:200000:1000\n', 'coder', 1000), { start: 200000, count: 1000 });
    assert.equal(subordinateRange('coder:100000:0\n', 'coder', 1000), null);
  });

  it('names the fix when the user, or its range, is missing', async () => {
    await assert.rejects(readRootlessIdentity(rootlessHost(), 'nobody-here'), (e: unknown) => e instanceof EnvboxError && /"nobody-here" \(ENVBOX_ROOTLESS_USER\)/.test(e.message));
    await assert.rejects(readRootlessIdentity(rootlessHost().file('/etc/subgid', ''), 'envbox'), /no subordinate id range in \/etc\/subgid/);
    await assert.rejects(readRootlessIdentity(rootlessHost(), 'root'), /"root" is root/);
  });

  it('maps workspace ids: rootful offset + n; rootless root -> the user, n -> start + n - 1', async () => {
    const identity = await readRootlessIdentity(rootlessHost(), 'envbox');
    assert.equal(outerId(0, { rootless: null, idOffset: 100000 }, 'uid'), 100000);
    assert.equal(outerId(1000, { rootless: null, idOffset: 100000 }, 'uid'), 101000);
    assert.equal(outerId(0, { rootless: identity, idOffset: 100000 }, 'uid'), 1001);
    assert.equal(outerId(1, { rootless: identity, idOffset: 100000 }, 'gid'), 10000);
    assert.equal(outerId(1000, { rootless: identity, idOffset: 100000 }, 'uid'), 10999);
    assert.equal(outerId(55536, { rootless: identity, idOffset: 100000 }, 'uid'), 65535);
    assert.throws(() => outerId(55537, { rootless: identity, idOffset: 100000 }, 'uid'), /outside the rootless user's subordinate range/);
  });
});

describe('rootless daemon command line', () => {
  it('puts rootlesskit with slirp4netns at the outer MTU in front of dockerd, without --userns-remap', async () => {
    const { daemon } = await runPreDaemon([], { env: ROOTLESS, host: rootlessHost() });
    const argv = [...daemon.argv];
    assert.deepEqual(argv.slice(0, 12), [
      'rootlesskit', '--state-dir=/run/envbox-rootless/rootlesskit', '--net=slirp4netns', '--mtu=1450',
      '--slirp4netns-sandbox=auto', '--slirp4netns-seccomp=auto', '--disable-host-loopback', '--port-driver=builtin',
      '--copy-up=/etc', '--copy-up=/run', '--propagation=rslave', 'dockerd',
    ]);
    assert.ok(argv.includes('--host=unix:///run/envbox-rootless/docker.sock'));
    assert.ok(argv.includes('--exec-root=/run/envbox-rootless/docker'));
    assert.ok(argv.includes('--pidfile=/run/envbox-rootless/docker.pid'));
    assert.ok(argv.includes('--data-root=/var/lib/docker/rootless'));
    assert.ok(argv.includes('--mtu=1450'));
    assert.ok(!argv.some((a) => a.startsWith('--userns-remap')));
    assert.deepEqual(daemon.env, { HOME: '/home/envbox', USER: 'envbox', XDG_RUNTIME_DIR: '/run/envbox-rootless' });
  });

  it('hands the data root and runtime dirs to the rootless user before it starts', async () => {
    const { actions } = await runPreDaemon([], { env: ROOTLESS, host: rootlessHost() });
    assert.deepEqual(describeActions(actions), [
      'rootless/daemonLaunch: mkdir -p -m 0700 /run/envbox-rootless', 'rootless/daemonLaunch: chown 1001:1001 /run/envbox-rootless',
      'rootless/daemonLaunch: mkdir -p -m 0700 /var/lib/docker/rootless', 'rootless/daemonLaunch: chown 1001:1001 /var/lib/docker/rootless',
      'rootless/daemonLaunch: mkdir -p -m 0700 /run/envbox-rootless/docker', 'rootless/daemonLaunch: chown 1001:1001 /run/envbox-rootless/docker',
    ]);
  });

  it('lets preDaemon see and edit the rootless command line and env, as in the rootful case', async () => {
    const edit = definePlugin({
      name: 'site-daemon',
      apply({ hooks }) {
        hooks.preDaemon.tap((spec) => ({
          argv: spec.argv.map((a) => (a === '--port-driver=builtin' ? '--port-driver=slirp4netns' : a)).concat('--debug'),
          env: { ...spec.env, DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS: '-v' },
        }));
      },
    });
    const { plan } = await runPlan([edit], { env: ROOTLESS, host: rootlessHost() });
    assert.ok(plan.daemon.managed);
    if (!plan.daemon.managed) return;
    // Without envbox's secrets: every process of the rootless daemon runs as the user that the containers' root maps to.
    // (Only the core's secret here: the pullsecret plugin, with CODER_IMAGE_PULL_SECRET, is not registered in this test.)
    assert.deepEqual(plan.daemon.argv.slice(0, 10), ['setpriv', '--reuid=1001', '--regid=1001', '--init-groups', '--', 'env', '-u', 'CODER_AGENT_TOKEN', '--', 'rootlesskit']);
    assert.ok(plan.daemon.argv.includes('--port-driver=slirp4netns'));
    assert.equal(plan.daemon.argv.at(-1), '--debug');
    assert.equal(plan.daemon.env.DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS, '-v');
  });

  it('keeps slirp4netns at its own default MTU when the link is missing', async () => {
    const { daemon } = await runPreDaemon([], { env: { ...ROOTLESS, ENVBOX_ETHLINK: 'nope0' }, host: rootlessHost() });
    assert.ok(daemon.argv.includes('--mtu=65520'));
    assert.ok(!daemon.argv.some((a) => a.startsWith('--mtu=') && a !== '--mtu=65520'));
  });
});

describe('rootless inputs', () => {
  it('implies runc and moves the default socket, exec root and pidfile into ENVBOX_ROOTLESS_DIR', async () => {
    const { options } = await runConfigure([], { env: { ...ROOTLESS, ENVBOX_ROOTLESS_DIR: '/run/rl' } });
    assert.equal(options.get(runtime), 'runc');
    assert.equal(options.get(dockerSocket), '/run/rl/docker.sock');
    assert.equal(options.get(dockerExecRoot), '/run/rl/docker');
    assert.equal(options.get(dockerPidfile), '/run/rl/docker.pid');
    assert.equal(options.get(dockerDataRoot), '/var/lib/docker/rootless');
  });

  it('keeps paths the user set, and changes nothing when rootless is off', async () => {
    const set = await runConfigure([], { env: { ...ROOTLESS, ENVBOX_DOCKER_SOCKET: '/home/coder/d.sock' } });
    assert.equal(set.options.get(dockerSocket), '/home/coder/d.sock');
    const off = await runConfigure([]);
    assert.equal(off.options.get(runtime), 'sysbox-runc');
    assert.equal(off.options.get(dockerSocket), '/var/run/docker.sock');
  });

  it('refuses ENVBOX_DOCKER_HOST with ENVBOX_ROOTLESS (exit 2): there is no daemon to run rootless', async () => {
    await assert.rejects(runConfigure([], { env: { ...ROOTLESS, ENVBOX_DOCKER_HOST: 'unix:///var/run/docker.sock' } }),
      (e: unknown) => e instanceof InputError && /^ENVBOX_ROOTLESS: is true, but ENVBOX_DOCKER_HOST names an existing daemon/.test(e.message));
  });

  it("refuses sysbox-runc set by a site's POLICY tap, registered after the built-ins (a last-word override)", async () => {
    const sysbox = definePlugin({ name: 'site-policy', apply({ hooks, stages }) { hooks.configure.tap({ stage: stages.POLICY }, (o) => o.with(runtime, 'sysbox-runc')); } });
    await assert.rejects(runConfigure([sysbox], { env: ROOTLESS }), /ENVBOX_RUNTIME: is sysbox-runc, which cannot run under a rootless dockerd/);
  });

  it('refuses sysbox-runc set by a site tap at any stage before CHECK (POLICY + 50), and a CHECK tap cannot set it', async () => {
    const late = definePlugin({ name: 'site-late', apply({ hooks, stages }) { hooks.configure.tap({ stage: stages.POLICY + 50 }, (o) => o.with(runtime, 'sysbox-runc')); } });
    await assert.rejects(runConfigure([late], { env: ROOTLESS }), /ENVBOX_RUNTIME: is sysbox-runc, which cannot run under a rootless dockerd/);
    const checking = definePlugin({ name: 'site-check', apply({ hooks, stages }) { hooks.configure.tap({ stage: stages.CHECK + 1 }, (o) => o.with(runtime, 'sysbox-runc')); } });
    await assert.rejects(runConfigure([checking], { env: ROOTLESS }), /plugin "site-check" failed in hook "configure": a configure tap at stage 1001 \(api.stages.CHECK or later\) may refuse the value by throwing, not change it/);
  });

  it('refuses sysbox-runc set by a configure tap', async () => {
    const sysbox = definePlugin({ name: 'site-sysbox', apply({ hooks }) { hooks.configure.tap((o) => o.with(runtime, 'sysbox-runc')); } });
    await assert.rejects(runConfigure([sysbox], { env: ROOTLESS }), /ENVBOX_RUNTIME: is sysbox-runc, which cannot run under a rootless dockerd/);
  });
});
