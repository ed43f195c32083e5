import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvboxError } from '../core/kernel/errors.js';
import type { EnvboxPlugin } from '../core/kernel/plugin.js';
import { runPlan } from '../core/engine/lifecycle/plan.js';
import { FakeDocker } from './support/fake-docker.js';
import { prepare, startLifecycle } from './support/lifecycle-run.js';

const FULL = {
  CODER_MOUNTS: '/home/coder:/home/coder,/secrets:/secrets:ro',
  CODER_ADD_FUSE: 'true', CODER_ADD_TUN: 'true', CODER_CPUS: '1', CODER_MEMORY: '1073741824',
  CODER_INNER_HOSTNAME: 'box', CODER_BOOTSTRAP_SCRIPT: 'echo hi', CODER_INNER_ENVS: 'FOO', FOO: 'bar',
  CODER_IMAGE_PULL_SECRET: JSON.stringify({ auths: { 'registry.test:5000': { auth: Buffer.from('alice:s3cr3t-pass').toString('base64') } } }),
};

function failing(hook: 'prePull' | 'containerSpec' | 'postStart'): EnvboxPlugin {
  return {
    name: 'site-broken',
    apply({ hooks }) {
      const boom = (): never => { throw new Error('boom'); };
      if (hook === 'postStart') hooks.postStart.tap(boom);
      else if (hook === 'prePull') hooks.prePull.tap(boom);
      else hooks.containerSpec.tap(boom);
    },
  };
}

describe('envbox docker lifecycle (fake daemon and Docker)', () => {
  it('runs every step in order, reports ready, and on SIGTERM stops bootstrap, container and daemons, exiting 0', async () => {
    const run = await startLifecycle(FULL);
    await run.untilLine((e) => e.type === 'done');
    const order = run.docker.methods().filter((m) => !['openFile', 'statPath', 'imageExists', 'inspectContainer'].includes(m));
    assert.deepEqual(order, ['ping', 'pullImage', 'createContainer', 'removeContainer', 'removeContainer', 'createContainer', 'pruneImages', 'putFiles', 'startContainer', 'waitContainer', 'exec', 'execStreaming']);
    assert.deepEqual(run.status.phases, ['starting-daemon', 'pulling', 'creating', 'bootstrapping', 'ready']);
    const argv = run.launcher.starts[0]!;
    assert.ok(argv.includes('--userns-remap=coder') && argv.includes('--bip=172.19.0.1/30') && argv.includes('--mtu=1400'), argv.join(' '));
    const pullCall = run.docker.calls.find((c) => c.method === 'pullImage')!;
    assert.deepEqual(pullCall.args[1], { username: 'alice', password: 's3cr3t-pass', serveraddress: 'registry.test:5000' });
    const bootstrap = run.docker.calls.find((c) => c.method === 'execStreaming')!.args[1] as { cmd: string[]; user: string; env: string[]; stdin: string };
    assert.deepEqual([bootstrap.cmd, bootstrap.user, bootstrap.env, bootstrap.stdin], [['/bin/sh', '-s'], '1000', ['BINARY_DIR=/home/coder/.coder'], 'echo hi']);
    await run.untilLine(/^bootstrap says hi$/);

    run.stop('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.deepEqual(run.killed, [[4242, 'SIGTERM']]);
    assert.ok(run.docker.methods().includes('stopContainer'));
    assert.equal(run.launcher.stopped, 1);
    assert.equal(run.status.phases.at(-1), 'stopping');
    const stopped = run.log.find((e) => /^stopped in /.test(e.output))?.output ?? '';
    assert.match(stopped, /^stopped in \d+\.\d\d s: shutdown hooks \d+\.\d\d s, bootstrap \d+\.\d\d s, container \d+\.\d\d s, daemons \d+\.\d\d s$/,
      'the stop phases, in the order they ran: the workspace before dockerd');
    const everything = JSON.stringify(run.log);
    assert.ok(!everything.includes('s3cr3t-pass') && !everything.includes('token-abc-123'), 'a secret reached the build log');
  });

  it('plan predicts exactly the container body and the actions that docker performed', async () => {
    const run = await startLifecycle(FULL);
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    await run.exit;
    const facts = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' };
    const { app } = await prepare({ ...FULL, ENVBOX_IMAGE_FACTS: JSON.stringify(facts) }, { mode: 'plan' });
    const plan = JSON.parse(await runPlan(app, () => { throw new Error('plan must not need a daemon when facts are given'); })) as {
      container: { name: string; create: { Env: string[] } }; actions: unknown[]; daemon: { argv: string[] };
    };
    const created = run.docker.created.get('workspace_cvm')!;
    const redactedEnv = created.Env!.map((e) => (e === 'CODER_AGENT_TOKEN=token-abc-123' ? 'CODER_AGENT_TOKEN=[redacted]' : e));
    assert.deepEqual(plan.container.create, { ...created, Env: redactedEnv });
    assert.deepEqual(plan.actions, JSON.parse(JSON.stringify(run.actions.performed)));
    assert.deepEqual(plan.daemon.argv, run.launcher.starts[0]);
  });

  it('uses /sbin/init as PID 1 when the image has one, and sleep infinity otherwise', async () => {
    const run = await startLifecycle({}, { before: (docker) => { docker.hasInit = true; } });
    await run.untilLine((e) => e.type === 'done');
    assert.deepEqual(run.docker.created.get('workspace_cvm')!.Entrypoint, ['/sbin/init']);
    run.stop();
    await run.exit;
  });

  it('starts no daemon with ENVBOX_DOCKER_HOST', async () => {
    const run = await startLifecycle({ ENVBOX_DOCKER_HOST: 'unix:///run/other.sock' });
    await run.untilLine((e) => e.type === 'done');
    assert.equal(run.launcher.starts.length, 0);
    run.stop();
    assert.equal(await run.exit, 0);
    assert.equal(run.launcher.stopped, 0);
  });

  it('restarts dockerd with vfs on the fallback data root when the pull hits a full disk even after a prune, then comes up', async () => {
    let pulls = 0;
    const run = await startLifecycle({}, {
      before: (docker) => docker.failures.set('pullImage', () => (++pulls <= 2 ? new Error('write /var/lib/docker/tmp: no space left on device') : undefined)),
    });
    await run.untilLine((e) => e.type === 'done');
    assert.equal(run.launcher.restarts.length, 1);
    const argv = run.launcher.restarts[0]!;
    assert.ok(argv.includes('--storage-driver=vfs') && argv.includes('--data-root=/var/lib/docker.bak'), argv.join(' '));
    await run.untilLine(/Insufficient space/);
    run.stop();
    await run.exit;
  });

  it('exits 0 without creating anything when SIGTERM arrives during the pull', async () => {
    let release!: () => void;
    const run = await startLifecycle({}, { before: (docker) => { docker.pullImage = () => new Promise<void>((r) => { release = r; }); } });
    await run.untilLine(/Pulling image/);
    run.stop('SIGTERM');
    assert.equal(await run.exit, 0);
    release();
    assert.ok(!run.docker.created.has('workspace_cvm'));
    assert.equal(run.launcher.stopped, 1);
  });

  it('exits 1 and says why when the workspace container exits', async () => {
    const run = await startLifecycle();
    await run.untilLine((e) => e.type === 'done');
    run.docker.exit(137);
    assert.equal(await run.exit, 1);
    const error = run.log.find((e) => e.type === 'error')!;
    assert.match(error.output, /the workspace container exited with code 137 \(killed/);
    assert.equal(run.launcher.stopped, 1);
    assert.equal(run.status.phases.at(-1), 'failed');
  });

  it('exits 1 when the daemon dies while the workspace runs', async () => {
    const run = await startLifecycle();
    await run.untilLine((e) => e.type === 'done');
    run.launcher.crash('dockerd exited with code 2');
    assert.equal(await run.exit, 1);
    assert.match(run.log.find((e) => e.type === 'error')!.output, /Docker daemon stopped while the workspace was running: dockerd exited with code 2/);
  });

  const phaseFailures: [string, (docker: FakeDocker, launcher: { failure: Error | undefined }) => void, RegExp][] = [
    ['the daemon cannot start', (_d, l) => { l.failure = new EnvboxError('sysbox-mgr is not installed'); }, /sysbox-mgr is not installed/],
    ['the daemon never answers', (d) => d.failures.set('ping', new Error('connect ECONNREFUSED')), /ECONNREFUSED/],
    ['the registry refuses the credentials', (d) => d.failures.set('pullImage', new Error('unauthorized: authentication required')), /unauthorized: authentication required/],
    ['the user is not in the image', (d) => { d.files['/etc/passwd'] = 'root:x:0:0:root:/root:/bin/sh\n'; }, /"coder" \(CODER_INNER_USERNAME\) is not in \/etc\/passwd/],
    ['create fails', (d) => d.failures.set('createContainer', () => (d.calls.filter((c) => c.method === 'createContainer').length > 1 ? new Error('create container: Conflict') : undefined)), /Conflict/],
    ['start fails', (d) => d.failures.set('startContainer', new Error('start container: OCI runtime create failed')), /OCI runtime create failed/],
    ['bootstrap cannot start', (d) => d.failures.set('execStreaming', new Error('exec (streaming): container not running')), /container not running/],
  ];
  for (const [name, arrange, expected] of phaseFailures) {
    it(`exits 1 with one error line and stops what it started when ${name}`, async () => {
      const run = await startLifecycle({ ENVBOX_DAEMON_TIMEOUT: '1', CODER_BOOTSTRAP_SCRIPT: 'true' }, { before: arrange });
      assert.equal(await run.exit, 1);
      const errors = run.log.filter((e) => e.type === 'error');
      assert.equal(errors.length, 1, JSON.stringify(run.log));
      assert.match(errors[0]!.output, expected);
      assert.ok(!run.log.some((e) => e.type === 'done'), 'no done line on failure');
      assert.equal(run.launcher.stopped, run.launcher.failure ? 0 : 1);
    });
  }

  it('fails fast on a permanent pull error instead of retrying', async () => {
    const run = await startLifecycle({}, { before: (d) => d.failures.set('pullImage', new Error('x509: certificate signed by unknown authority')) });
    assert.equal(await run.exit, 1);
    assert.equal(run.docker.methods().filter((m) => m === 'pullImage').length, 1);
    assert.match(run.log.find((e) => e.type === 'error')!.output, /CODER_EXTRA_CERTS_PATH/);
  });

  for (const hook of ['prePull', 'containerSpec', 'postStart'] as const) {
    it(`names the plugin and the hook when a site plugin throws in ${hook}, and cleans up`, async () => {
      const run = await startLifecycle({}, { plugins: [failing(hook)] });
      assert.equal(await run.exit, 1);
      assert.match(run.log.find((e) => e.type === 'error')!.output, new RegExp(`plugin "site-broken" failed in hook "${hook}": boom`));
      assert.equal(run.launcher.stopped, 1);
    });
  }
});

describe('flags', () => {
  it("accept coder/envbox's own spellings as aliases, and bare boolean flags", async () => {
    const { parseFlags, collectInputs } = await import('../core/engine/app.js');
    const { builtinPlugins } = await import('../plugins/index.js');
    const flags = parseFlags(['--coder-url=https://c.example', '--boostrap-script=echo hi', '--add-fuse'], collectInputs(builtinPlugins()));
    assert.deepEqual(flags, { 'agent-url': 'https://c.example', 'bootstrap-script': 'echo hi', 'add-fuse': 'true' });
  });

  it('reject an unknown flag as invalid input', async () => {
    const { parseFlags } = await import('../core/engine/app.js');
    assert.throws(() => parseFlags(['--bogus=1'], []), /--bogus/);
  });
});

describe('pull after a stop request', () => {
  it('makes no further attempt once SIGTERM has arrived', async () => {
    const { pullWithRetry } = await import('../core/engine/lifecycle/pull.js');
    const { prepare } = await import('./support/lifecycle-run.js');
    const { app } = await prepare({});
    const docker = new FakeDocker();
    const controller = new AbortController();
    docker.failures.set('pullImage', () => { controller.abort(new Error('stopped by SIGTERM')); return new Error('pull image: aborted'); });
    const pull = { image: app.options.get((await import('../core/kernel/inputs/core-inputs.js')).innerImage), auth: null };
    await assert.rejects(pullWithRetry(docker, pull, app.buildLog, app.log, { signal: controller.signal, sleep: async () => undefined }), /stopped by SIGTERM/);
    assert.equal(docker.methods().filter((m) => m === 'pullImage').length, 1);
  });
});

describe('preDaemon env', () => {
  const proxyPlugin: EnvboxPlugin = {
    name: 'site-proxy',
    apply({ hooks }) {
      hooks.preDaemon.tap((daemon) => ({ ...daemon, env: { ...daemon.env, HTTPS_PROXY: 'http://proxy.corp:3128' } }));
    },
  };

  it("reaches dockerd's launch, and plan prints it", async () => {
    const run = await startLifecycle({}, { plugins: [proxyPlugin] });
    await run.untilLine((e) => e.type === 'done');
    assert.deepEqual(run.launcher.envs, [{ HTTPS_PROXY: 'http://proxy.corp:3128' }]);
    run.stop();
    await run.exit;
    const facts = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' };
    const { app } = await prepare({ ENVBOX_IMAGE_FACTS: JSON.stringify(facts) }, { mode: 'plan', plugins: [proxyPlugin] });
    const plan = JSON.parse(await runPlan(app, () => { throw new Error('no daemon needed'); })) as { daemon: { env: Record<string, string> } };
    assert.deepEqual(plan.daemon.env, { HTTPS_PROXY: 'http://proxy.corp:3128' });
  });
});

describe('failed, shutdown and buildLog hooks in the lifecycle', () => {
  function recorder(events: string[], options: { throwInBuildLog?: boolean } = {}): EnvboxPlugin {
    return {
      name: 'site-recorder',
      apply({ hooks }) {
        hooks.buildLog.tap((entry) => {
          if (options.throwInBuildLog) throw new Error('log forwarder down');
          events.push(`log:${entry.type}:${entry.output}`);
        });
        hooks.failed.tap((ctx) => { events.push(`failed:${ctx.message}`); });
        hooks.shutdown.tap((ctx) => { events.push(`shutdown:${ctx.reason}`); });
      },
    };
  }

  it('calls failed (not shutdown) on a runtime failure, after the error line and before anything stops', async () => {
    const events: string[] = [];
    const run = await startLifecycle({}, { plugins: [recorder(events)] });
    await run.untilLine((e) => e.type === 'done');
    run.docker.exit(1);
    assert.equal(await run.exit, 1);
    const failed = events.findIndex((e) => e.startsWith('failed:the workspace container exited with code 1'));
    assert.ok(failed > 0, events.join('\n'));
    assert.ok(events.slice(0, failed).some((e) => e.startsWith('log:error:the workspace container exited')), 'the error line came first');
    assert.ok(!events.some((e) => e.startsWith('shutdown:')), 'shutdown is for signals');
    assert.equal(run.launcher.stopped, 1, 'the daemons still stop after the hook');
  });

  it('calls shutdown (not failed) on SIGTERM', async () => {
    const events: string[] = [];
    const run = await startLifecycle({}, { plugins: [recorder(events)] });
    await run.untilLine((e) => e.type === 'done');
    run.stop('SIGTERM');
    assert.equal(await run.exit, 0);
    assert.ok(events.includes('shutdown:SIGTERM'));
    assert.ok(!events.some((e) => e.startsWith('failed:')));
  });

  it('hands buildLog every line once, scrubbed, in order; a throwing tap is reported once and never stops the start', async () => {
    const events: string[] = [];
    const run = await startLifecycle({}, { plugins: [recorder(events)] });
    await run.untilLine((e) => e.type === 'done');
    run.stop();
    await run.exit;
    const forwarded = events.filter((e) => e.startsWith('log:')).map((e) => e.replace(/^log:\w+:/, ''));
    assert.deepEqual(forwarded, run.log.map((e) => e.output));
    assert.ok(!events.join('\n').includes('token-abc-123'));

    const throwing = await startLifecycle({}, { plugins: [recorder([], { throwInBuildLog: true })] });
    await throwing.untilLine((e) => e.type === 'done');
    throwing.stop();
    assert.equal(await throwing.exit, 0);
    const warnings = throwing.log.filter((e) => e.output.includes('log forwarder down'));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.output, 'Warning: plugin "site-recorder" failed in hook "buildLog": log forwarder down');
  });
});


describe("dockerd's log level", () => {
  // At debug level dockerd logs every request body: a ContainerCreate body holds the Env with the agent token.
  it('is debug only with CODER_DEBUG', async () => {
    const argvWith = async (env: Record<string, string>) => {
      const run = await startLifecycle(env);
      await run.untilLine((e) => e.type === 'done');
      run.stop();
      await run.exit;
      return run.launcher.starts[0] ?? [];
    };
    const quiet = await argvWith({});
    assert.ok(quiet.length > 0 && !quiet.includes('--debug') && !quiet.some((a) => a.startsWith('--log-level')), quiet.join(' '));
    const debug = await argvWith({ CODER_DEBUG: 'true' });
    assert.ok(debug.includes('--debug') && debug.includes('--log-level=debug'), debug.join(' '));
  });
});
