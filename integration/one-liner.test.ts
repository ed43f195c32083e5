// coder/envbox's "Hacking" one-liner, as written, against the built image (dist/envbox-image.tar)
// on a real dockerd of the test's own. It changes only what this machine needs: ENVBOX_RUNTIME=runc, a
// runtime wrapper for --privileged (no CAP_SYS_RESOURCE here), the workspace image from the world's TLS
// registry with its CA and a pull secret, an empty dir for the missing /lib/modules, and no `-it` (no terminal).
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, EnvboxRun, repoRoot, Sandbox, waitUntil, type World } from './harness/index.js';
import { IMAGE_TAG, oneLinerFlags, startOuterDaemon, type OuterDaemon } from './harness/outer-daemon.js';
import { basicAuth, fakeAgentToken, pullSecret } from './harness/scenario.js';
import { IMAGE_FACTS, SITE_FILES, SITE_TS_CONFIG } from './harness/site-config.js';

const OUTER = 'envbox-one-liner';
const BOOTSTRAP = [
  'echo "bootstrap uid $(id -u)"',
  'trap \'echo "bootstrap got SIGTERM"; exit 0\' TERM',
  'while :; do sleep 1 & wait $!; done',
].join('\n');

interface Started {
  run: EnvboxRun;
  /** Milliseconds from `docker run` to the build log's `done` line. */
  toDoneMs: number;
}

describe('the seed one-liner against the envbox image', () => {
  let world: World;
  let sandbox: Sandbox;
  let outer: OuterDaemon;
  let first: Started;
  let stopped: { code: number | null; ms: number } | undefined;
  const token = fakeAgentToken();
  const runs: EnvboxRun[] = [];

  /** The one-liner as docs/deploy.md writes it, on its /tmp/envbox volumes (see `oneLinerFlags`), plus `flags`. */
  async function oneLiner(volumes = '/tmp/envbox', flags: string[] = []): Promise<string[]> {
    return ['run', '--rm', '--name', OUTER, ...await oneLinerFlags(world, sandbox, outer, volumes), ...flags, IMAGE_TAG, '/envbox', 'docker'];
  }

  async function start(variant: { volumes?: string; flags?: string[]; bootstrap?: string } = {}): Promise<Started> {
    const [file, ...args] = outer.dockerArgv(await oneLiner(variant.volumes, variant.flags));
    const startedAt = Date.now();
    const child = spawn(file!, args, {
      env: {
        PATH: process.env.PATH, HOME: '/root', DOCKER_CONFIG: sandbox.paths.dockerCliConfig,
        CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: outer.registryHost }), CODER_AGENT_TOKEN: token, CODER_BOOTSTRAP_SCRIPT: variant.bootstrap ?? BOOTSTRAP,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = new EnvboxRun(child, join(sandbox.paths.dir, 'harness-dockerd.log'), 'docker run ... envbox:latest /envbox docker');
    runs.push(run);
    await run.waitForDone(180_000);
    return { run, toDoneMs: Date.now() - startedAt };
  }

  async function exec(argv: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    return outer.docker(['exec', OUTER, ...argv]);
  }

  async function dockerLogs(): Promise<string[]> {
    const logs = await outer.docker(['logs', OUTER]);
    assert.equal(logs.exitCode, 0, logs.stderr);
    return `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l.trim() !== '');
  }

  before(async () => {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'one-liner');
    outer = await startOuterDaemon(world, sandbox);
    first = await start();
  });

  after(async () => {
    for (const run of runs) run.kill();
    if (outer) {
      await outer.docker(['rm', '-f', OUTER]);
      await outer.stop();
    }
    if (sandbox) await sandbox.destroy();
    if (world) await destroyWorld(world);
  });

  test('the build log reaches done', (t) => {
    const done = first.run.buildLog().find((l) => l.type === 'done');
    assert.ok(done, first.run.tail());
    t.diagnostic(`docker run to done: ${(first.toDoneMs / 1000).toFixed(1)} s (${done.output})`);
  });

  test('PID 1 is an init (tini), and orphans it inherits leave no zombie', async () => {
    assert.equal((await exec(['cat', '/proc/1/comm'])).stdout.trim(), 'docker-init');
    // A sleep under its own name, apart from the workspace's own sleeps (the outer /proc shows them too).
    assert.equal((await exec(['cp', '/bin/sleep', '/tmp/orphan-sleep'])).exitCode, 0);
    const orphan = await exec(['sh', '-c', '/tmp/orphan-sleep 3 </dev/null >/dev/null 2>&1 & echo $!']);
    const pid = orphan.stdout.trim();
    assert.match((await exec(['grep', '^PPid:', `/proc/${pid}/status`])).stdout, /^PPid:\s+1$/m, 'the orphan was reparented to PID 1');
    // What the prototype saw: each of these left a zombie while node was PID 1.
    for (let i = 0; i < 5; i += 1) assert.equal((await exec(['sh', '-c', '/tmp/orphan-sleep 0.3 &'])).exitCode, 0);
    // "name state" of every process; a zombie keeps its name, so wait for the orphans to stop *running*.
    const orphans = async () => (await exec(['sh', '-c', 'awk \'/^Name:/ { n = $2 } /^State:/ { print n, $2 }\' /proc/[0-9]*/status 2>/dev/null; true'])).stdout
      .split('\n').filter((l) => l.startsWith('orphan-sleep '));
    const exited = await waitUntil(async () => (await orphans()).every((l) => l.endsWith(' Z')), 10_000, 200);
    assert.ok(exited, `the orphans are still running:\n${(await orphans()).join('\n')}`);
    const zombies = (await orphans()).filter((l) => l.endsWith(' Z'));
    assert.deepEqual(zombies, [], 'zombies left in the outer container');
  });

  test('docker exec <outer> /envbox status exits 0', async () => {
    const status = await exec(['/envbox', 'status']);
    assert.equal(status.exitCode, 0, `${status.stdout}${status.stderr}`);
  });

  test('the workspace user is uid 1000, and the bootstrap ran as it', async () => {
    const id = await exec(['docker', 'exec', '-u', 'coder', 'workspace_cvm', 'id', '-u']);
    assert.equal(id.stdout.trim(), '1000', id.stderr);
    await first.run.waitForOutput(/bootstrap uid 1000/, 30_000);
  });

  test('the workspace\'s /var/lib/docker is not the outer daemon\'s data root, and the build log says what was done', async () => {
    const outerRoot = (await exec(['stat', '-c', '%d:%i', '/var/lib/docker'])).stdout.trim();
    const subdir = (await exec(['stat', '-c', '%d:%i', '/var/lib/coder/docker/workspace-docker'])).stdout.trim();
    const inner = await exec(['docker', 'exec', 'workspace_cvm', 'stat', '-c', '%d:%i', '/var/lib/docker']);
    assert.equal(inner.exitCode, 0, inner.stderr);
    assert.notEqual(inner.stdout.trim(), outerRoot, 'the workspace got the outer daemon\'s data root');
    assert.equal(inner.stdout.trim(), subdir);
    assert.ok(first.run.buildLog().some((l) => /outer dockerd's data root .*workspace-docker/.test(l.output)), first.run.tail());
  });

  test('docker logs: every line is a build-log JSON line (debug is off), and no secret appears', async () => {
    const lines = await dockerLogs();
    assert.ok(lines.length > 5, `too few lines: ${lines.join('\n')}`);
    for (const line of lines) {
      let parsed: unknown;
      assert.doesNotThrow(() => { parsed = JSON.parse(line); }, `not JSON: ${line}`);
      assert.deepEqual(Object.keys(parsed as object).sort(), ['output', 'time', 'type'], `not a build-log line: ${line}`);
    }
    const text = lines.join('\n');
    for (const secret of [world.registry.password, basicAuth(world), token]) {
      assert.equal(text.includes(secret), false, 'a secret appears in docker logs');
    }
  });

  test('docker stop exits 0, envbox exits 0 on SIGTERM (no SIGKILL at the 10 s stop timeout), and the bootstrap got SIGTERM', async (t) => {
    const startedAt = Date.now();
    const stop = await outer.docker(['stop', OUTER], { timeoutMs: 60_000 });
    const ms = Date.now() - startedAt;
    assert.equal(stop.exitCode, 0, stop.stderr);
    const exit = await first.run.waitForExit(30_000);
    stopped = { code: exit.code, ms };
    t.diagnostic(`docker stop took ${(ms / 1000).toFixed(1)} s`);
    assert.deepEqual(exit, { code: 0, signal: null }, `the outer container's exit (137 would mean docker killed it)\n${first.run.tail()}`);
    assert.ok(first.run.buildLog().some((l) => l.output.includes('bootstrap got SIGTERM')), first.run.tail());
    // The whole attached stream, to the end; the docker CLI's own warning about this test daemon's
    // --ip-forward=false is the CLI's line, not the container's.
    const all = `${first.run.stdoutText()}${first.run.stderrText()}`.split('\n')
      .filter((l) => l.trim() !== '' && l !== 'WARNING: IPv4 forwarding is disabled. Networking will not work.');
    for (const line of all) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    for (const secret of [world.registry.password, basicAuth(world), token]) assert.equal(all.join('\n').includes(secret), false);
  });

  test('the image: /envbox --version, and a site config in /etc/envbox imports envbox with nothing installed', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const version = await outer.docker(['run', '--rm', IMAGE_TAG, '/envbox', '--version']);
    assert.equal(version.stdout.trim(), `envbox ${pkg.version}`, version.stderr);
    const site = join(sandbox.paths.dir, 'site-config');
    for (const [name, content] of Object.entries(SITE_FILES)) {
      await mkdir(dirname(join(site, name)), { recursive: true });
      await writeFile(join(site, name), content);
    }
    const plan = await outer.docker(['run', '--rm', '-v', `${site}:/etc/envbox:ro`, '-e', 'ENVBOX_CONFIG=/etc/envbox/envbox.config.mjs',
      '-e', `ENVBOX_IMAGE_FACTS=${IMAGE_FACTS}`, '-e', 'CODER_INNER_IMAGE=registry.example.com/ws:1', '-e', 'CODER_INNER_USERNAME=coder',
      '-e', 'ENVBOX_RUNTIME=runc', IMAGE_TAG, '/envbox', 'plan']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const env = (JSON.parse(plan.stdout) as { container: { create: { Env: string[] } } }).container.create.Env;
    assert.ok(env.includes('SITE_STAMP=from-config') && env.includes('SITE_MODULE=from-plugin-module'), env.join('\n'));
  });

  test('the image: an envbox.config.ts loads with the image\'s node stripping its types, without the typescript package', async () => {
    const site = join(sandbox.paths.dir, 'site-config-ts');
    for (const [name, content] of Object.entries({ ...SITE_FILES, 'envbox.config.ts': SITE_TS_CONFIG })) {
      await mkdir(dirname(join(site, name)), { recursive: true });
      await writeFile(join(site, name), content);
    }
    const noTypescript = await outer.docker(['run', '--rm', IMAGE_TAG, 'node', '-e', "require.resolve('typescript')"]);
    assert.notEqual(noTypescript.exitCode, 0, 'the image has no typescript package, so the config below proves type stripping');
    const plan = await outer.docker(['run', '--rm', '-v', `${site}:/etc/envbox:ro`, '-e', 'ENVBOX_CONFIG=/etc/envbox/envbox.config.ts',
      '-e', `ENVBOX_IMAGE_FACTS=${IMAGE_FACTS}`, '-e', 'CODER_INNER_IMAGE=registry.example.com/ws:1', '-e', 'CODER_INNER_USERNAME=coder',
      '-e', 'ENVBOX_RUNTIME=runc', IMAGE_TAG, '/envbox', 'plan']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const env = (JSON.parse(plan.stdout) as { container: { create: { Env: string[] } } }).container.create.Env;
    assert.ok(env.includes('SITE_STAMP=from-ts-config') && env.includes('SITE_MODULE=from-plugin-module'), env.join('\n'));
  });

  test('the offline image (no sysbox) without ENVBOX_RUNTIME=runc: one error line that says what to do and that a real build has sysbox, exit 1', async () => {
    const failed = await outer.docker(['run', '--rm', '-e', 'CODER_INNER_IMAGE=registry.example.com/ws:1', '-e', 'CODER_INNER_USERNAME=coder',
      IMAGE_TAG, '/envbox', 'docker']);
    assert.equal(failed.exitCode, 1, failed.stderr);
    const lines = failed.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('WARNING: IPv4 forwarding'))
      .map((l) => JSON.parse(l) as { output: string; type: string });
    const errors = lines.filter((l) => l.type === 'error');
    assert.equal(errors.length, 1, failed.stderr);
    assert.match(errors[0]!.output, /sysbox-mgr is not installed.*ENVBOX_RUNTIME=runc.*mount sysbox in.*real build.*installs sysbox-ce.*offline build/);
  });

  test('a second docker run on the same volumes comes up again', async (t) => {
    assert.ok(stopped, 'the first run was stopped');
    const second = await start();
    t.diagnostic(`second docker run to done: ${(second.toDoneMs / 1000).toFixed(1)} s`);
    assert.equal((await exec(['/envbox', 'status'])).exitCode, 0);
    assert.ok(second.run.buildLog().some((l) => /workspace-docker/.test(l.output)), second.run.tail());
    assert.equal((await outer.docker(['stop', OUTER], { timeoutMs: 60_000 })).exitCode, 0);
    assert.deepEqual(await second.run.waitForExit(30_000), { code: 0, signal: null }, second.run.tail());
  });

  test('a home volume that is the outer data root too (podman 4.3 puts every subPath of one volume in one dir): the user owns its home, mkdir ~/.coder works, the bootstrap runs', async () => {
    // One host directory at /var/lib/coder/docker, /var/lib/docker and /home/coder, the home mounted in with CODER_MOUNTS.
    const volumes = '/tmp/envbox-shared-home';
    const bootstrap = [
      // envbox made ~/.coder before the bootstrap (as the user, so that failed too before); the user writes in it and beside it.
      'if touch "$HOME/.coder/probe" && mkdir "$HOME/.config"; then echo "home writable as $(id -u)"; else echo "home not writable as $(id -u)"; fi',
      'trap \'exit 0\' TERM',
      'while :; do sleep 1 & wait $!; done',
    ].join('\n');
    await outer.docker(['rm', '-f', OUTER]); // (when run alone, the first run is still up)
    const shared = await start({ volumes, flags: ['-v', `${volumes}/docker:/home/coder`, '-e', 'CODER_MOUNTS=/home/coder:/home/coder'], bootstrap });
    await shared.run.waitForOutput(/^home (not )?writable as 1000$/, 30_000);
    assert.ok(shared.run.buildLog().some((l) => l.output === 'home writable as 1000'), shared.run.tail());
    assert.ok(shared.run.buildLog().some((l) => /\/home\/coder is the outer dockerd's data root .*workspace-home-coder/.test(l.output)), shared.run.tail());
    // The workspace user's shifted ids (userns-remap offset 100000), as /home/coder itself would have got.
    assert.equal((await exec(['stat', '-c', '%u:%g', '/home/coder/workspace-home-coder'])).stdout.trim(), '101000:101000');
    const homes = await exec(['stat', '-c', '%d:%i', '/home/coder/workspace-home-coder', '/var/lib/coder/docker/workspace-docker']);
    const [home, docker] = homes.stdout.trim().split('\n');
    assert.notEqual(home, docker, 'the home and the inner /var/lib/docker are different directories');
    assert.equal((await outer.docker(['stop', OUTER], { timeoutMs: 60_000 })).exitCode, 0);
    assert.deepEqual(await shared.run.waitForExit(30_000), { code: 0, signal: null }, shared.run.tail());
  });
});
