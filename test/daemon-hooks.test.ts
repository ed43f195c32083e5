import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvboxError, PluginError, definePlugin, outerId, type DaemonIdentity, type EnvboxPlugin } from 'envbox';
import { MemoryHost, describeActions, rootlessHost, runContainerSpec, runPlan, runPreDaemon, runPreflight, runPrePull } from 'envbox/testing';
import { failureParagraph } from '../core/engine/status/hints.js';
import { builtinPlugins } from '../plugins/index.js';
import { startLifecycle } from './support/lifecycle-run.js';

/** A site's own non-root daemon user, as a plugin other than the built-in "rootless" could publish it. */
const SITE_USER = { name: 'builder', uid: 2000, gid: 2000, home: '/home/builder', subuid: { start: 300000, count: 65536 }, subgid: { start: 300000, count: 65536 } };

function publishing(identity: DaemonIdentity['rootless'], seen: Array<[string, DaemonIdentity]> = []): EnvboxPlugin {
  return definePlugin({
    name: 'site-identity',
    apply({ hooks }) {
      hooks.daemonIdentity.tap('SiteIdentity', (daemon) => ({ ...daemon, rootless: identity }));
      hooks.preDaemon.tap((spec, ctx) => { seen.push(['preDaemon', ctx.daemon]); return spec; });
      hooks.daemonLaunch.tap((launch, ctx) => { seen.push(['daemonLaunch', ctx.daemon]); return launch; });
      hooks.prePull.tap((pull, ctx) => { seen.push(['prePull', ctx.daemon]); return pull; });
      hooks.containerSpec.tap((body, ctx) => { seen.push(['containerSpec', ctx.daemon]); return body; });
    },
  });
}

describe('daemonIdentity: who the daemon runs as, published as ctx.daemon', () => {
  it('is userns-remap at ENVBOX_ID_OFFSET by default, and outerId maps a workspace id through it', async () => {
    const seen: Array<[string, DaemonIdentity]> = [];
    await runPlan([publishing(null, seen)], { env: { ENVBOX_ID_OFFSET: '200000' }, host: new MemoryHost() });
    assert.deepEqual(seen.map(([hook]) => hook), ['preDaemon', 'daemonLaunch', 'prePull', 'containerSpec']);
    for (const [, daemon] of seen) assert.deepEqual(daemon, { rootless: null, idOffset: 200000 });
    assert.equal(outerId(1000, seen[0]![1], 'uid'), 201000);
  });

  it('carries what a plugin publishes to every later hook, resolved once per run', async () => {
    const seen: Array<[string, DaemonIdentity]> = [];
    let calls = 0;
    const counting = definePlugin({ name: 'site-count', apply({ hooks }) { hooks.daemonIdentity.tap((daemon) => { calls += 1; return daemon; }); } });
    await runPlan([counting, publishing(SITE_USER, seen)], { host: new MemoryHost() });
    assert.equal(calls, 1);
    assert.deepEqual(new Set(seen.map(([, daemon]) => daemon.rootless?.name)), new Set(['builder']));
    assert.equal(outerId(0, seen[0]![1], 'gid'), 2000);
    assert.equal(outerId(1000, seen[0]![1], 'uid'), 300999);
  });

  it('drops --userns-remap from dockerd when the daemon runs as a non-root user', async () => {
    const root = await runPreDaemon([], { host: new MemoryHost() });
    assert.ok(root.daemon.argv.includes('--userns-remap=coder'));
    const user = await runPreDaemon([publishing(SITE_USER)], { host: new MemoryHost() });
    assert.ok(!user.daemon.argv.some((a) => a.startsWith('--userns-remap')));
  });

  it('refuses a tap that returns something else, naming the plugin and the hook', async () => {
    const broken = definePlugin({ name: 'site-broken', apply({ hooks }) { hooks.daemonIdentity.tap((daemon) => ({ ...daemon, rootless: { name: 'x' } }) as never); } });
    await assert.rejects(runPrePull([broken]), (e: unknown) => e instanceof PluginError && e.plugin === 'site-broken' && e.hook === 'daemonIdentity'
      && /not a daemon identity/.test(e.message));
  });

  it('refuses a tap that moves idOffset: ENVBOX_ID_OFFSET is the one place the offset is set', async () => {
    const moving = definePlugin({ name: 'site-offset', apply({ hooks }) { hooks.daemonIdentity.tap((daemon) => ({ ...daemon, idOffset: daemon.idOffset + 1 })); } });
    await assert.rejects(runPrePull([moving], { host: new MemoryHost() }),
      (e: unknown) => e instanceof EnvboxError && /a daemonIdentity tap changed idOffset to 100001, and ENVBOX_ID_OFFSET is 100000/.test(e.message));
  });

  it("a device node plugin (fuse) makes its node for the published identity's root: a site's own non-root daemon user gets the node passed, not made", async () => {
    const fuseOn = { ENVBOX_ROOTLESS: 'false', CODER_ADD_FUSE: 'true' };
    const remapped = await runContainerSpec([], { builtins: true, env: fuseOn, host: new MemoryHost() });
    assert.match(describeActions(remapped.actions).join("\n"), /fuse\/containerSpec: chown 100000:100000 \/tmp\/coder-fuse/);
    const host = new MemoryHost().charDevice('/dev/fuse', 10, 229);
    const siteUser = await runContainerSpec([publishing(SITE_USER)], { builtins: true, env: fuseOn, host });
    assert.deepEqual(describeActions(siteUser.actions).filter((a) => /fuse/.test(a)), [], 'no node made or chowned for a daemon that is not root');
    assert.ok(siteUser.body.HostConfig.Devices?.some((d) => d.PathOnHost === '/dev/fuse'), 'the pod\'s own /dev/fuse is passed');
  });

  it('ENVBOX_ROOTLESS=true with the plugin "rootless" disabled: a clear error, not a root daemon', async () => {
    await assert.rejects(runContainerSpec([], { builtins: true, disable: ['rootless', 'rootless-docker'], env: { ENVBOX_ROOTLESS: 'true' }, host: new MemoryHost() }),
      (e: unknown) => e instanceof EnvboxError && /^ENVBOX_ROOTLESS is true, and no plugin runs the daemon rootless/.test(e.message) && /"rootless" enabled/.test(e.hint ?? ''));
  });
});

describe('daemonLaunch: how the daemon is spawned', () => {
  const cgroup2 = () => new MemoryHost().file('/sys/fs/cgroup/cgroup.controllers', 'cpu memory\n');

  it('sees preDaemon\'s command line, the data root and ctx.daemon, and wraps the command; the cgroup-v2 wrapper stays outermost', async () => {
    const seen: Array<{ argv: readonly string[]; dataRoot: string }> = [];
    const nice = definePlugin({
      name: 'site-nice',
      apply({ hooks }) {
        hooks.preDaemon.tap((spec) => ({ ...spec, argv: [...spec.argv, '--debug'] }));
        hooks.daemonLaunch.tap('SiteNice', (launch, ctx) => {
          seen.push({ argv: launch.argv, dataRoot: ctx.dataRoot });
          return { ...launch, argv: ['nice', '-n', '5', ...launch.argv], env: { ...launch.env, SITE: '1' } };
        });
      },
    });
    const { launch, spawnArgv } = await runPreDaemon([nice], { host: cgroup2() });
    assert.equal(seen[0]!.argv.at(-1), '--debug');
    assert.equal(seen[0]!.dataRoot, '/var/lib/docker');
    assert.deepEqual(launch.argv.slice(0, 4), ['nice', '-n', '5', 'dockerd']);
    assert.deepEqual(launch.env, { SITE: '1' });
    assert.equal(launch.cgroupNesting, true);
    assert.deepEqual(spawnArgv.slice(0, 2), ['unshare', '--cgroup']);
    assert.deepEqual(spawnArgv.slice(-launch.argv.length), [...launch.argv]);
  });

  it('runs taps by stage in every tapable form (tap(name), tap({ name, stage }), tapPromise), and may turn the cgroup-v2 wrapper off', async () => {
    const wrap = (word: string) => (launch: { argv: readonly string[] }) => ({ ...launch, argv: [word, ...launch.argv] });
    const forms = definePlugin({
      name: 'site-forms',
      apply({ hooks, stages }) {
        hooks.daemonLaunch.tap({ name: 'Outer', stage: stages.POLICY }, (launch) => ({ ...launch, ...wrap('outer')(launch), cgroupNesting: false }));
        hooks.daemonLaunch.tapPromise('Inner', async (launch) => ({ ...launch, ...wrap('inner')(launch) }));
        hooks.daemonLaunch.tap({ stage: stages.BASE }, (launch) => ({ ...launch, ...wrap('first')(launch) }));
      },
    });
    const { plan } = await runPlan([forms], { host: cgroup2() });
    assert.ok(plan.daemon.managed);
    if (!plan.daemon.managed) return;
    assert.deepEqual(plan.daemon.argv.slice(0, 4), ['outer', 'inner', 'first', 'dockerd']);
  });

  it('declares actions attributed to the plugin and the hook', async () => {
    const dirs = definePlugin({
      name: 'site-dirs',
      apply({ hooks }) { hooks.daemonLaunch.tap((launch, ctx) => { ctx.act({ kind: 'mkdir', path: `${ctx.dataRoot}/site`, mode: '0700' }); return launch; }); },
    });
    const { actions } = await runPreDaemon([dirs], { host: new MemoryHost() });
    assert.deepEqual(describeActions(actions), ['site-dirs/daemonLaunch: mkdir -p -m 0700 /var/lib/docker/site']);
  });

  it('refuses a launch without cgroupNesting, naming the plugin and the hook', async () => {
    const broken = definePlugin({ name: 'site-launch', apply({ hooks }) { hooks.daemonLaunch.tap((launch) => ({ argv: launch.argv, env: launch.env }) as never); } });
    await assert.rejects(runPreDaemon([broken], { host: new MemoryHost() }),
      (e: unknown) => e instanceof PluginError && e.plugin === 'site-launch' && e.hook === 'daemonLaunch' && /cgroupNesting/.test(e.message));
  });
});

describe('preflight: checks before anything starts', () => {
  const requiring = (check: () => Promise<void> | void): EnvboxPlugin => definePlugin({
    name: 'site-check',
    apply({ hooks }) { hooks.preflight.tapPromise('SiteCheck', async (ctx) => { assert.equal(ctx.managedDaemon, true); await check(); }); },
  });
  const missing = () => { throw new EnvboxError('the site volume /srv/cache is missing', 'Mount it at /srv/cache (see the site runbook).'); };

  it('a finding (an EnvboxError) fails the run with exit 1 and its own paragraph, starting nothing', async () => {
    const run = await startLifecycle({}, { plugins: [requiring(missing)] });
    assert.equal(await run.exit, 1);
    assert.equal(run.launcher.starts.length, 0);
    assert.deepEqual(run.actions.performed, []);
    assert.equal(run.status.failure, 'the site volume /srv/cache is missing. Mount it at /srv/cache (see the site runbook).');
  });

  it('any other throw is a PluginError naming the plugin and the hook', async () => {
    await assert.rejects(runPreflight([requiring(() => { throw new TypeError('oops'); })]),
      (e: unknown) => e instanceof PluginError && e.plugin === 'site-check' && e.hook === 'preflight' && /oops/.test(e.message));
    await assert.rejects(runPreflight([requiring(missing)]), (e: unknown) => e instanceof EnvboxError && !(e instanceof PluginError));
  });

  it('SIGTERM wins over a check that never settles: exit 0, nothing started', async () => {
    const run = await startLifecycle({}, { plugins: [requiring(() => new Promise<void>(() => undefined))] });
    run.stop('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.equal(run.launcher.starts.length, 0);
  });

  it('is not called by plan, which may run anywhere', async () => {
    let called = false;
    await runPlan([requiring(() => { called = true; })], { host: new MemoryHost() });
    assert.equal(called, false);
  });

  it('the built-in rootless checks run there, and pass on an outer container that has everything', async () => {
    const ROOTLESS = { ENVBOX_ROOTLESS: 'true' };
    const host = rootlessHost().file('/dev/net/tun', '');
    await assert.rejects(runPreflight(builtinPlugins(), { env: ROOTLESS, host }), /^EnvboxError: ENVBOX_ROOTLESS cannot start: \/dev\/net\/tun is not the TUN device/);
    const { identity, buildLog } = await runPreflight(builtinPlugins(), { env: ROOTLESS, host: rootlessHost() });
    assert.equal(identity.rootless?.name, 'envbox');
    assert.match(buildLog.at(-1)!.output, /^Starting a rootless dockerd as envbox \(uid 1001, subordinate ids 10000-65535\)/);
  });
});

describe('a hint behind a plugin boundary', () => {
  it('the failure paragraph keeps the hint of an EnvboxError that a PluginError wraps', () => {
    const error = new PluginError('rootless', 'daemonIdentity', new EnvboxError('ENVBOX_ROOTLESS needs the user "x"', 'Use the envbox image.'));
    assert.equal(failureParagraph(error), 'plugin "rootless" failed in hook "daemonIdentity": ENVBOX_ROOTLESS needs the user "x". Use the envbox image.');
  });
});
