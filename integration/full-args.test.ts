// One workspace with every
// feature on, checked from inside and outside, predicted by `envbox plan`, then restarted over the same volumes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWorld, destroyWorld, Sandbox, type EnvboxRun, type World } from './harness/index.js';
import {
  assertInOrder, assertNoSecrets, fakeAgentToken, infoOutputs, innerExec, installCa, ownerOf, pullSecret, stopCleanly, waitForFile,
} from './harness/scenario.js';

const BOOTSTRAP = [
  'echo "hello" > /home/coder/bootstrap',
  'mkdir -p /home/coder/bar',
  'touch "$HOME/.coder/foo" && echo yes > /home/coder/coder-dir-existed',
  'id -u > /home/coder/bootstrap-uid',
  'echo "bootstrap says hi as $(id -un)"',
  'trap \'echo TERM > /home/coder/term-received; exit 0\' TERM',
  'while :; do sleep 1 & wait $!; done',
].join('\n');

describe('full args', () => {
  let world: World;
  let sandbox: Sandbox;
  let envbox: EnvboxRun | undefined;
  let env: Record<string, string>;
  const token = fakeAgentToken();
  let secretsDir: string;

  const secrets = () => [token, world.registry.password, Buffer.from(`${world.registry.username}:${world.registry.password}`).toString('base64')];

  before(async () => {
    world = await createWorld();
    secretsDir = join(world.runDir, 'full-args-secrets');
    sandbox = await Sandbox.create(world, 'full-args', { readOnlyBinds: [{ hostDir: secretsDir, path: '/var/lib/secrets' }] });
    env = sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_AGENT_TOKEN: token,
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_MOUNTS: '/home/coder:/home/coder,/var/lib/secrets:/var/secrets:ro',
      CODER_INNER_ENVS: 'KUBERNETES_*,HELLO,TEST_ME,TEST_VAR',
      KUBERNETES_PORT: '123',
      KUBERNETES_SERVICE_HOST: '10.0.1',
      HELLO: 'world',
      TEST_ME: 'pls',
      ENVBOX_ONLY: 'hi',
      TEST_ME_PLS: 'hmm',
      TEST_VAR: 'hello=world',
      CODER_ADD_FUSE: 'true',
      CODER_ADD_TUN: 'true',
      CODER_CPUS: '1',
      CODER_MEMORY: '1073741824',
      CODER_INNER_HOSTNAME: 'testmepls',
      CODER_BOOTSTRAP_SCRIPT: BOOTSTRAP,
      CODER_DEBUG: 'true',
    });
  });

  after(async () => {
    envbox?.kill();
    try {
      if (sandbox) await sandbox.destroy();
    } finally {
      if (world) await destroyWorld(world);
    }
  });

  let planBefore: PlanDoc;
  let firstContainerId = '';
  const IMAGE_FACTS = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };

  test('plan, before anything runs, prints one JSON document and changes nothing', { timeout: 60_000 }, async () => {
    const plan = await sandbox.startEnvbox({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(IMAGE_FACTS) }, ['plan']);
    const status = await plan.waitForExit(60_000);
    assert.equal(status.code, 0, plan.tail());
    planBefore = JSON.parse(plan.stdoutText()) as PlanDoc;
    assert.equal(planBefore.daemon.managed, true);
    assert.equal(planBefore.pull.image, world.images.init);
    assert.equal((await ownerOf(join(sandbox.paths.home, 'coder'))).uid, 0, 'plan chowned nothing');
    assert.equal(await readFile(join(sandbox.paths.etcDocker, 'certs.d', world.registry.host, 'ca.crt'), 'utf8').catch(() => null), null, 'plan copied no cert');
    await assertNoSecrets(plan, secrets());
  });

  test('the workspace comes up with every feature, and the build log says so in order', { timeout: 120_000 }, async () => {
    envbox = await sandbox.startEnvbox(env);
    await envbox.waitForDone(90_000);
    assertInOrder(infoOutputs(envbox), [
      /Waiting for dockerd to start up/,
      /Pulling image .*workspace:init/,
      /Creating workspace/,
      /Starting up workspace/,
      /Bootstrapping workspace/,
      /Envbox startup complete/,
    ]);
    const lines = envbox.buildLog();
    assert.equal(lines.filter((l) => l.type === 'error').length, 0, envbox.tail());
    assert.equal(lines.at(-1)?.type, 'done', 'done is the last build-log line at startup');
    await waitForFile(join(sandbox.paths.home, 'coder', 'bootstrap'), 30_000, 'the bootstrap script');
    firstContainerId = (await sandbox.dockerOk(['inspect', '-f', '{{.Id}}', 'workspace_cvm'])).trim();
  });

  test('only the filtered env reaches the workspace', async () => {
    const vars = (await innerExec(sandbox, ['env'])).split('\n');
    for (const wanted of ['KUBERNETES_PORT=123', 'KUBERNETES_SERVICE_HOST=10.0.1', 'HELLO=world', 'TEST_ME=pls', 'TEST_VAR=hello=world']) {
      assert.ok(vars.includes(wanted), `${wanted} missing from the workspace env:\n${vars.join('\n')}`);
    }
    for (const unwanted of ['ENVBOX_ONLY=hi', 'TEST_ME_PLS=hmm']) {
      assert.ok(!vars.includes(unwanted), `${unwanted} must not reach the workspace`);
    }
  });

  test('/dev/fuse and /dev/net/tun exist and open read-write', async () => {
    const out = await innerExec(sandbox, ['sh', '-c', 'exec 3<>/dev/net/tun && echo tun-opened; exec 4<>/dev/fuse && echo fuse-opened']);
    assert.deepEqual(out.trim().split('\n'), ['tun-opened', 'fuse-opened']);
  });

  test('the home volume is id-shifted: 101000 outside, 1000 inside, writable by the user', async () => {
    assert.equal((await ownerOf(join(sandbox.paths.home, 'coder'))).uid, 101000);
    await innerExec(sandbox, ['touch', '/home/coder/written-by-user'], { user: 'coder' });
    assert.equal((await ownerOf(join(sandbox.paths.home, 'coder', 'written-by-user'))).uid, 101000);
    assert.equal((await innerExec(sandbox, ['stat', '-c', '%u', '/home/coder/written-by-user'])).trim(), '1000');
  });

  test('the read-only secrets dir is owned by the workspace root (100000) and cannot be written', async () => {
    assert.equal((await ownerOf(secretsDir)).uid, 100000);
    const write = await sandbox.docker(['exec', 'workspace_cvm', 'touch', '/var/secrets/foo']);
    assert.notEqual(write.exitCode, 0);
    assert.match(write.stderr + write.stdout, /Read-only file system/);
  });

  test('the bootstrap ran as uid 1000 with $HOME/.coder present', async () => {
    assert.equal((await readFile(join(sandbox.paths.home, 'coder', 'bootstrap'), 'utf8')).trim(), 'hello');
    await waitForFile(join(sandbox.paths.home, 'coder', 'bootstrap-uid'), 10_000, 'the bootstrap uid record');
    assert.equal((await readFile(join(sandbox.paths.home, 'coder', 'bootstrap-uid'), 'utf8')).trim(), '1000');
    assert.equal((await readFile(join(sandbox.paths.home, 'coder', 'coder-dir-existed'), 'utf8')).trim(), 'yes');
    assert.equal((await innerExec(sandbox, ['stat', '-c', '%u', '/home/coder/bar'])).trim(), '1000');
    const said = await envbox!.waitForOutput(/bootstrap says hi as coder/, 10_000);
    assert.equal(said.type, 'info', 'bootstrap output goes to the build log');
  });

  test('memory and CPU limits and the hostname apply inside', async () => {
    const memory = await innerExec(sandbox, ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes']);
    assert.equal(memory.trim(), '1073741824');
    const cpu = await innerExec(sandbox, ['sh', '-c', [
      'if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max;',
      'elif [ -d /sys/fs/cgroup/cpu,cpuacct ]; then echo $(cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us);',
      'else echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us); fi',
    ].join(' ')]);
    const [quota, period] = cpu.trim().split(/\s+/).map(Number);
    assert.ok(quota! > 0 && period! > 0, `cpu quota/period: ${cpu}`);
    assert.equal(quota! / period!, 1);
    assert.equal((await innerExec(sandbox, ['hostname'])).trim(), 'testmepls');
  });

  test('plan predicts the container envbox created and the actions it performed', async () => {
    const inspect = JSON.parse(await sandbox.dockerOk(['inspect', 'workspace_cvm']))[0] as Inspect;
    assertPredicts(planBefore, inspect, 'plan made before the run (ENVBOX_IMAGE_FACTS)');
    assert.ok(inspect.Config.Env.includes(`CODER_AGENT_TOKEN=${token}`), 'the workspace gets the agent token');

    // The daemon that runs is the one plan described.
    const dockerdPid = Number((await readFile(sandbox.paths.pidfile, 'utf8')).trim());
    const cmdline = (await readFile(`/proc/${dockerdPid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
    assert.deepEqual(cmdline.slice(1), (planBefore.daemon.argv ?? []).slice(1), 'dockerd argv');

    // Every action envbox attempted (CODER_DEBUG logs each), in order, is in the plan, and nothing else.
    // A best-effort action that failed is logged as such instead of as performed; it was attempted all the same.
    const attempted = envbox!.debugLines()
      .filter((l) => l.msg === 'performed action' || l.msg === 'best-effort action failed')
      .map((l) => normalizeAction(l.action));
    assert.ok(attempted.length > 0, 'envbox logged no performed action (CODER_DEBUG=true)');
    assert.deepEqual(attempted, planBefore.actions.map(normalizeAction));
    const actionLines = infoOutputs(envbox!).filter((l) => /^Action( skipped)?: /.test(l));
    assert.equal(actionLines.length, attempted.length, `one "Action:" line per attempted action:\n${actionLines.join('\n')}`);
  });

  test('plan against the running daemon reads the same image facts and predicts the same container', async () => {
    const plan = await sandbox.startEnvbox({ ...env }, ['plan']);
    const status = await plan.waitForExit(60_000);
    assert.equal(status.code, 0, plan.tail());
    const doc = JSON.parse(plan.stdoutText()) as PlanDoc;
    assert.deepEqual(doc.facts, IMAGE_FACTS);
    const inspect = JSON.parse(await sandbox.dockerOk(['inspect', 'workspace_cvm']))[0] as Inspect;
    assertPredicts(doc, inspect, 'plan made against the running daemon');
    await assertNoSecrets(plan, secrets());
  });

  test('no secret appears in any byte envbox or dockerd wrote', async () => {
    await assertNoSecrets(envbox!, secrets());
  });

  test('SIGTERM stops it cleanly, and the bootstrap gets SIGTERM', { timeout: 90_000 }, async () => {
    await stopCleanly(sandbox, envbox!);
    await waitForFile(join(sandbox.paths.home, 'coder', 'term-received'), 1_000, 'the bootstrap trap');
    assert.ok(envbox!.buildLog().some((l) => /SIGTERM/.test(l.output)), 'the build log says why it stops');
  });

  test('a restart over the same volumes comes up again, ids still mapped, no stale container', { timeout: 120_000 }, async () => {
    envbox = await sandbox.startEnvbox(env);
    await envbox.waitForDone(90_000);
    const containers = (await sandbox.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}'])).trim().split('\n');
    assert.equal(containers.length, 1, `one container after the restart:\n${containers.join('\n')}`);
    const [id, name] = containers[0]!.split(' ');
    assert.equal(name, 'workspace_cvm');
    assert.ok(firstContainerId !== '' && id !== firstContainerId, 'the workspace container was made afresh, the old one removed');
    assert.equal((await ownerOf(join(sandbox.paths.home, 'coder'))).uid, 101000);
    assert.equal((await innerExec(sandbox, ['stat', '-c', '%u', '/home/coder/written-by-user'])).trim(), '1000');
    await innerExec(sandbox, ['touch', '/home/coder/after-restart'], { user: 'coder' });
    assert.equal((await ownerOf(join(sandbox.paths.home, 'coder', 'after-restart'))).uid, 101000);
    assert.equal((await ownerOf(secretsDir)).uid, 100000);
    await stopCleanly(sandbox, envbox);
  });
});

interface PlanDoc {
  daemon: { managed: boolean; argv?: string[]; host?: string };
  pull: { image: string };
  facts: Record<string, unknown>;
  container: { name: string; create: CreateBody };
  actions: Record<string, unknown>[];
}

interface CreateBody {
  Image: string;
  Hostname?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  HostConfig?: {
    Binds?: string[];
    Devices?: Device[];
    DeviceCgroupRules?: string[];
    Memory?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    Runtime?: string;
  };
}

interface Device { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }

interface Inspect {
  Config: { Image: string; Hostname: string; Env: string[]; Entrypoint: string[] | null; Cmd: string[] | null };
  HostConfig: { Binds: string[] | null; Devices: Device[] | null; DeviceCgroupRules: string[] | null; Memory: number; CpuQuota: number; CpuPeriod: number; Runtime: string };
}

/** The fields of the create body that the daemon reports back must match what it reports. */
function assertPredicts(doc: PlanDoc, inspect: Inspect, what: string): void {
  const create = doc.container.create;
  const h = create.HostConfig ?? {};
  const m = (field: string) => `${what}: ${field}`;
  assert.equal(doc.container.name, 'workspace_cvm', m('name'));
  assert.equal(inspect.Config.Image, create.Image, m('Image'));
  assert.equal(inspect.Config.Hostname, create.Hostname, m('Hostname'));
  assert.deepEqual(inspect.Config.Entrypoint ?? null, create.Entrypoint ?? null, m('Entrypoint'));
  assert.deepEqual(inspect.Config.Cmd ?? null, create.Cmd ?? null, m('Cmd'));
  // plan redacts the agent token; the workspace must get the real one.
  const withoutToken = (env: string[] | null | undefined) => sorted(env).filter((e) => !e.startsWith('CODER_AGENT_TOKEN='));
  assert.deepEqual(withoutToken(inspect.Config.Env), withoutToken(create.Env), m('Env'));
  assert.ok((create.Env ?? []).some((e) => e.startsWith('CODER_AGENT_TOKEN=')), m('the token variable is planned'));
  assert.deepEqual(sorted(inspect.HostConfig.Binds), sorted(h.Binds), m('Binds'));
  assert.deepEqual(sortedDevices(inspect.HostConfig.Devices), sortedDevices(h.Devices), m('Devices'));
  assert.deepEqual(sorted(inspect.HostConfig.DeviceCgroupRules), sorted(h.DeviceCgroupRules), m('DeviceCgroupRules'));
  assert.equal(inspect.HostConfig.Memory, h.Memory ?? 0, m('Memory'));
  assert.equal(inspect.HostConfig.CpuQuota, h.CpuQuota ?? 0, m('CpuQuota'));
  assert.equal(inspect.HostConfig.CpuPeriod, h.CpuPeriod ?? 0, m('CpuPeriod'));
  assert.equal(inspect.HostConfig.Runtime, h.Runtime ?? 'runc', m('Runtime'));
  assert.equal(h.Runtime ?? 'runc', 'runc', m('Runtime is runc in this suite'));
}

function sorted(list: string[] | null | undefined): string[] {
  return [...(list ?? [])].sort();
}

function sortedDevices(list: Device[] | null | undefined): string[] {
  return (list ?? []).map((d) => `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`).sort();
}

/** An action as plan prints it and as the debug log records it: the same fields, keys in one order. */
function normalizeAction(action: unknown): string {
  const a = { ...(action as Record<string, unknown>) };
  if (a.bestEffort === false) delete a.bestEffort;
  return JSON.stringify(Object.fromEntries(Object.entries(a).sort(([x], [y]) => x.localeCompare(y))));
}
