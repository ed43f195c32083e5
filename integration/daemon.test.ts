// envbox recovers from a full data root by
// restarting dockerd with vfs on the fallback root; and with ENVBOX_DOCKER_HOST it starts no dockerd
// and leaves that daemon's images alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createWorld, destroyWorld, listProcesses, Sandbox, type EnvboxRun, type World } from './harness/index.js';
import { assertFailsWith, assertInOrder, assertNoSecrets, assertNothingLeft, basicAuth, infoOutputs, innerExec, installCa, pullSecret, stopCleanly } from './harness/scenario.js';

describe('daemons', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  test('disk full: ENOSPC during the pull, images pruned and the pull tried again, then dockerd restarted with vfs on the fallback root, the workspace comes up', { timeout: 180_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'disk-full');
    let run: EnvboxRun | undefined;
    try {
      // A 20 MiB tmpfs as dockerd's data root, mounted inside the sandbox only; the image holds 24 MiB of random data.
      const setup = [`mkdir -p ${sandbox.paths.dataRoot}`, `mount -t tmpfs -o size=20m envbox-it-small ${sandbox.paths.dataRoot}`];
      run = await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.images.big,
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
        CODER_AGENT_TOKEN: `agent-token-disk-full-${process.pid}-0123456789`,
      }), ['docker'], setup);
      await run.waitForDone(150_000);
      const lines = infoOutputs(run);
      // As coder/envbox: prune and pull again first; the image does not fit even then, so vfs.
      assertInOrder(lines, [/Pulling image/, /ran out of disk \(no space left on device\)\. Pruning unused images/, /Insufficient space.*vfs/, /Pulling image/, /Creating workspace/]);
      assert.ok(!lines.some((l) => /Pruning images failed/.test(l)), `the prune itself worked:\n${lines.join('\n')}`);
      assert.ok(lines.some((l) => /vfs/.test(l) && /space/i.test(l)), `the user is told about the full disk and the vfs restart:\n${lines.join('\n')}`);
      const dockerLog = await readFile(sandbox.paths.dockerdLog, 'utf8').catch(() => '');
      assert.match(`${run.stderrText()}\n${dockerLog}`, /no space left on device/, 'the daemon hit ENOSPC');
      // Without CODER_DEBUG dockerd is not at debug level, where it logs request bodies: the container's Env, scrubbed or not, is not in its log.
      assert.doesNotMatch(dockerLog, /level=debug|CODER_AGENT_TOKEN/, 'dockerd logged at debug level without CODER_DEBUG');

      const pid = Number((await readFile(sandbox.paths.pidfile, 'utf8')).trim());
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(argv.includes('--storage-driver=vfs') || argv.join(' ').includes('--storage-driver vfs'), `dockerd runs with vfs: ${argv.join(' ')}`);
      assert.ok(argv.includes(`--data-root=${sandbox.paths.fallbackDataRoot}`) || argv.join(' ').includes(`--data-root ${sandbox.paths.fallbackDataRoot}`),
        `dockerd uses the fallback data root: ${argv.join(' ')}`);
      const info = (await sandbox.dockerOk(['info', '--format', '{{.Driver}} {{.DockerRootDir}}'])).trim();
      assert.match(info, /^vfs /);
      assert.equal((await innerExec(sandbox, ['sh', '-c', 'test -s /opt/filler && echo big'])).trim(), 'big');
      await stopCleanly(sandbox, run);
    } finally {
      run?.kill();
      await sandbox.destroy();
    }
  });

  test('CODER_DEBUG: dockerd logs request bodies, and the token (with & < > " \\ in it) is scrubbed in the forms Go writes', { timeout: 180_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'debug-token');
    let run: EnvboxRun | undefined;
    try {
      const token = `agent&<token>"\\-${process.pid}-0123456789`;
      run = await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.images.init,
        CODER_AGENT_TOKEN: token,
        CODER_DEBUG: 'true',
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
        CODER_BOOTSTRAP_SCRIPT: 'echo "hello"',
      }));
      await run.waitForDone(90_000);
      await stopCleanly(sandbox, run);
      const dockerLog = await readFile(sandbox.paths.dockerdLog, 'utf8');
      assert.match(dockerLog, /level=debug/, 'dockerd ran at debug level with CODER_DEBUG');
      assert.match(dockerLog, /form data: .*CODER_AGENT_TOKEN=\[redacted\]/, 'dockerd logged a body with the Env, scrubbed');
      // dockerd re-encodes a body with Go's json.Marshal (\u0026 for &), and logrus quotes the message again.
      const goJson = JSON.stringify(token).slice(1, -1).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
      const logrus = (text: string) => text.replace(/["\\]/g, (c) => `\\${c}`);
      await assertNoSecrets(run, [token, goJson, logrus(goJson), JSON.stringify(token).slice(1, -1)]);
    } finally {
      run?.kill();
      await sandbox.destroy();
    }
  });

  test('dockerd cannot start (its data root on overlay, as when nothing is mounted at /var/lib/docker): the error line gives dockerd\'s reason and says to mount a volume there', { timeout: 120_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'data-root-on-overlay');
    let run: EnvboxRun | undefined;
    try {
      // An overlay mount as the data root, inside the sandbox only: what a container's own root filesystem is.
      const layers = `${sandbox.paths.dir}/overlay`;
      const setup = [
        `mkdir -p ${layers}/lower ${layers}/upper ${layers}/work ${sandbox.paths.dataRoot}`,
        `mount -t overlay envbox-it-overlay -o lowerdir=${layers}/lower,upperdir=${layers}/upper,workdir=${layers}/work ${sandbox.paths.dataRoot}`,
      ];
      run = await sandbox.startEnvbox(sandbox.envboxEnv({ CODER_INNER_IMAGE: world.images.init }), ['docker'], setup);
      const dataRoot = sandbox.paths.dataRoot.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      await assertFailsWith(run, new RegExp(`failed to mount overlay: invalid argument[^\\n]*mount a volume \\(an emptyDir or a PersistentVolumeClaim\\) at ${dataRoot}\\.`));
      const termination = await readFile(sandbox.paths.terminationLog, 'utf8');
      assert.match(termination, /mount a volume/, 'the termination message says it too');
      await assertNothingLeft(sandbox);
    } finally {
      run?.kill();
      await sandbox.destroy();
    }
  });

  test('external daemon: ENVBOX_DOCKER_HOST brings the same workspace up, starts no dockerd and prunes none of its images', { timeout: 180_000 }, async () => {
    const sandbox = await Sandbox.create(world, 'external-daemon');
    let run: EnvboxRun | undefined;
    try {
      const daemon = await sandbox.startDockerd(['--userns-remap=coder']);
      const harnessTree = async () => {
        const all = await listProcesses();
        const tree = new Set([daemon.pid!]);
        for (let grew = true; grew;) {
          grew = false;
          for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
        }
        return [...tree];
      };
      // Someone else's image on the shared daemon, used by no container: a prune would delete it.
      const unrelated = 'someone-else/tool:keep';
      await sandbox.dockerOk(['import', world.tarballs.noinit, unrelated], { timeoutMs: 60_000 });
      const dockerdsBefore = (await listProcesses()).filter((p) => /(^|\/)dockerd( |$)/.test(p.cmdline)).map((p) => p.pid);
      const token = `agent-token-external-${process.pid}-0123456789`;
      run = await sandbox.startEnvbox(sandbox.envboxEnv({
        ENVBOX_DOCKER_HOST: `unix://${sandbox.paths.socket}`,
        CODER_INNER_IMAGE: world.images.init,
        CODER_AGENT_TOKEN: token,
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
        CODER_MOUNTS: '/home/coder:/home/coder',
        CODER_ADD_TUN: 'true',
        CODER_BOOTSTRAP_SCRIPT: 'echo "hello from $(id -u)"',
      }));
      await run.waitForDone(90_000);
      assert.ok(infoOutputs(run).some((l) => /existing Docker daemon|ENVBOX_DOCKER_HOST/.test(l)), 'the build log says which daemon it uses');
      assert.equal((await sandbox.docker(['image', 'inspect', unrelated])).exitCode, 0, `an unrelated image on the external daemon survives the start:\n${run.tail()}`);
      assert.ok(infoOutputs(run).some((l) => /Not pruning images/.test(l)), 'the build log says the shared daemon is not pruned');
      assert.equal((await sandbox.dockerOk(['inspect', '-f', '{{.State.Running}}', 'workspace_cvm'])).trim(), 'true');
      assert.equal((await innerExec(sandbox, ['sh', '-c', 'exec 3<>/dev/net/tun && echo tun-opened'])).trim(), 'tun-opened');
      assert.equal((await innerExec(sandbox, ['stat', '-c', '%u', '/home/coder'])).trim(), '1000');

      // Only dockerds in envbox's own network namespace count: other test runs on the machine start theirs.
      const processes = await listProcesses();
      const envboxNetns = processes.find((p) => p.pid === run!.pid)?.netns;
      assert.ok(envboxNetns, 'envbox is running');
      const dockerdsNow = processes.filter((p) => p.netns === envboxNetns && /(^|\/)dockerd( |$)/.test(p.cmdline)).map((p) => p.pid);
      assert.deepEqual(dockerdsNow.filter((pid) => !dockerdsBefore.includes(pid)), [], 'envbox started no dockerd');
      const envboxChildren = (await listProcesses()).filter((p) => p.ppid === run!.pid && /dockerd|containerd|sysbox/.test(p.cmdline));
      assert.deepEqual(envboxChildren, [], 'envbox has no daemon children');

      const status = await run.stop(60_000);
      assert.deepEqual(status, { code: 0, signal: null }, `envbox should exit 0 on SIGTERM\n${run.tail()}`);
      await assertNothingLeft(sandbox, await harnessTree());
      const left = (await sandbox.dockerOk(['ps', '--format', '{{.Names}}'])).trim();
      assert.equal(left, '', 'the workspace container is stopped when envbox stops');
      await assertNoSecrets(run, [token, world.registry.password, basicAuth(world)]);
    } finally {
      run?.kill();
      await sandbox.destroy();
    }
  });
});
