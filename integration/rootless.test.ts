// The envbox image as an UNPRIVILEGED outer container, ENVBOX_ROOTLESS=true, on a real dockerd of the
// test's own. The outer container gets no --privileged and no added capability: only seccomp and /proc
// unconfined, and test-made TUN and FUSE nodes as devices (mknod in the sandbox dir, mode 0666; the
// machine's /dev is never touched). Then each start check, with its requirement removed; then once more
// on a userns-remapped test daemon (the Docker equivalent of Kubernetes hostUsers: false).
import { spawn } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, EnvboxRun, mustRun, Sandbox, type World } from './harness/index.js';
import { IMAGE_TAG, startOuterDaemon, type OuterDaemon } from './harness/outer-daemon.js';
import { fakeAgentToken, pullSecret } from './harness/scenario.js';

const OUTER = 'envbox-rootless';
const INNER_SOCKET = 'unix:///run/envbox-rootless/docker.sock';
/**
 * The test workspace image is busybox and has no docker client: the machine's static one is bound into the
 * outer container under /usr (a system dir, so envbox changes no owner there) and from there into the
 * workspace through CODER_MOUNTS, for these tests only.
 */
const STATIC_DOCKER_CLI = '/usr/local/bin/docker';
const WORKSPACE_CLI = '/opt/docker-cli/docker';
const CLI_MOUNTS = ['-v', `${STATIC_DOCKER_CLI}:/usr/local/lib/docker-cli/docker:ro`, '-e', 'CODER_MOUNTS=/usr/local/lib/docker-cli:/opt/docker-cli:ro'];
const BOOTSTRAP = [
  'echo "bootstrap uid $(id -u)"',
  'trap \'echo "bootstrap got SIGTERM"; exit 0\' TERM',
  'while :; do sleep 1 & wait $!; done',
].join('\n');

/**
 * What an unprivileged outer container gets, and nothing more. On a userns-remapped daemon runc cannot
 * mknod, so `--device` binds the node at the *host's* path of that name (/dev/net/tun, mode 0600 on
 * this machine, which the remapped root cannot open): there the test-made node is bound instead and
 * allowed with a device cgroup rule, as a Kubernetes device plugin does.
 */
function unprivileged(devices: { tun: string; fuse: string }, remove: Array<'tun' | 'seccomp' | 'proc'> = [], bindDevices = false): string[] {
  const device = (node: string, path: string, rule: string) => (bindDevices ? ['-v', `${node}:${path}`, '--device-cgroup-rule', rule] : ['--device', `${node}:${path}`]);
  return [
    ...(remove.includes('seccomp') ? [] : ['--security-opt', 'seccomp=unconfined']),
    ...(remove.includes('proc') ? [] : ['--security-opt', 'systempaths=unconfined']),
    ...(remove.includes('tun') ? [] : device(devices.tun, '/dev/net/tun', 'c 10:200 rwm')),
    ...device(devices.fuse, '/dev/fuse', 'c 10:229 rwm'),
    '-e', 'ENVBOX_ROOTLESS=true',
  ];
}

interface Outer {
  remapped: boolean;
  sandbox: Sandbox;
  daemon: OuterDaemon;
  devices: { tun: string; fuse: string };
  dataRoot: string;
}

async function startOuter(world: World, label: string, dockerdArgs: string[] = [], volumeOwner = 0): Promise<Outer> {
  const sandbox = await Sandbox.create(world, label);
  const devDir = join(sandbox.paths.dir, 'devices');
  await mkdir(devDir, { recursive: true });
  const devices = { tun: join(devDir, 'tun'), fuse: join(devDir, 'fuse') };
  await mustRun(['mknod', '-m', '0666', devices.tun, 'c', '10', '200']);
  await mustRun(['mknod', '-m', '0666', devices.fuse, 'c', '10', '229']);
  // The rootless dockerd's data root, on a volume as in the Kubernetes example (overlay2 cannot sit on the container's own overlay).
  const dataRoot = join(sandbox.paths.dir, 'rootless-docker');
  await mkdir(dataRoot, { recursive: true });
  if (volumeOwner !== 0) await chown(dataRoot, volumeOwner, volumeOwner);
  const daemon = await startOuterDaemon(world, sandbox, { dockerdArgs });
  return { remapped: dockerdArgs.some((a) => a.startsWith('--userns-remap')), sandbox, daemon, devices, dataRoot };
}

describe('unprivileged outer container, ENVBOX_ROOTLESS=true, on the envbox image', () => {
  let world: World;
  let main: Outer;
  let run: EnvboxRun;
  let toDoneMs = 0;
  const token = fakeAgentToken();
  const runs: EnvboxRun[] = [];
  const outers: Outer[] = [];

  function docker(outer: Outer, args: string[]) {
    return outer.daemon.docker(args, { timeoutMs: 120_000 });
  }

  async function start(outer: Outer, name: string, extra: string[] = []): Promise<{ run: EnvboxRun; toDoneMs: number }> {
    const args = [
      'run', '--rm', '--name', name, ...unprivileged(outer.devices, [], outer.remapped),
      '-v', `${outer.dataRoot}:/var/lib/docker`,
      '-e', `CODER_INNER_IMAGE=${outer.daemon.registryHost}/workspace:noinit`, '-e', 'CODER_INNER_USERNAME=coder',
      '-e', 'CODER_ADD_FUSE=true', '-e', 'CODER_ADD_TUN=true', '-e', 'CODER_CPUS=1', '-e', 'CODER_MEMORY=512Mi',
      '--add-host', `registry.test:${outer.daemon.gateway}`,
      '-v', `${world.registry.caPath}:/etc/envbox/registry-ca.pem:ro`, '-e', 'CODER_EXTRA_CERTS_PATH=/etc/envbox/registry-ca.pem',
      '-e', 'CODER_IMAGE_PULL_SECRET', '-e', 'CODER_AGENT_TOKEN', '-e', 'CODER_BOOTSTRAP_SCRIPT',
      ...extra, IMAGE_TAG, '/envbox', 'docker',
    ];
    const startedAt = Date.now();
    const [file, ...rest] = outer.daemon.dockerArgv(args);
    const child = spawn(file!, rest, {
      env: {
        PATH: process.env.PATH, HOME: '/root', DOCKER_CONFIG: outer.sandbox.paths.dockerCliConfig,
        CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: outer.daemon.registryHost }), CODER_AGENT_TOKEN: token, CODER_BOOTSTRAP_SCRIPT: BOOTSTRAP,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new EnvboxRun(child, join(outer.sandbox.paths.dir, 'harness-dockerd.log'), `docker run (unprivileged, rootless) ${name}`);
    runs.push(started);
    await started.waitForDone(180_000);
    return { run: started, toDoneMs: Date.now() - startedAt };
  }

  /** A run that must fail its start checks: exit 1, one error line. */
  async function failingStart(remove: Array<'tun' | 'seccomp' | 'proc'>, entrypoint: string[] = ['/envbox', 'docker']) {
    const result = await docker(main, [
      'run', '--rm', ...unprivileged(main.devices, remove), '-e', 'CODER_INNER_IMAGE=registry.example.com/ws:1', '-e', 'CODER_INNER_USERNAME=coder',
      ...(entrypoint[0] === '/envbox' ? [IMAGE_TAG, ...entrypoint] : ['--entrypoint', entrypoint[0]!, IMAGE_TAG, ...entrypoint.slice(1)]),
    ]);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { output: string; type: string });
    return { exitCode: result.exitCode, errors: lines.filter((l) => l.type === 'error').map((l) => l.output), stderr: result.stderr };
  }

  function exec(argv: string[]) {
    return docker(main, ['exec', OUTER, ...argv]);
  }

  before(async () => {
    world = await createWorld();
    main = await startOuter(world, 'rootless');
    outers.push(main);
    ({ run, toDoneMs } = await start(main, OUTER, CLI_MOUNTS));
  });

  after(async () => {
    for (const r of runs) r.kill();
    for (const outer of outers) {
      await outer.daemon.docker(['rm', '-f', OUTER, `${OUTER}-remap`]).catch(() => undefined);
      await outer.daemon.stop();
      await outer.sandbox.destroy();
    }
    if (world) await destroyWorld(world);
  });

  test('the build log reaches done, without --privileged', async (t) => {
    const done = run.buildLog().find((l) => l.type === 'done');
    assert.ok(done, run.tail());
    const inspect = await docker(main, ['inspect', '-f', '{{.HostConfig.Privileged}} {{.HostConfig.CapAdd}}', OUTER]);
    assert.equal(inspect.stdout.trim(), 'false []');
    t.diagnostic(`rootless: docker run to done ${(toDoneMs / 1000).toFixed(1)} s (${done.output})`);
  });

  test('the daemon runs as the rootless user envbox (uid 1001), and the workspace as the user', async () => {
    const uids = await exec(['sh', '-c', 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = dockerd ] && awk \'/^Uid:/ { print $2 }\' $p/status; done; true']);
    assert.deepEqual([...new Set(uids.stdout.trim().split('\n'))], ['1001'], uids.stderr);
    const id = await exec(['docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', 'id', '-u']);
    assert.equal(id.stdout.trim(), '1000', id.stderr);
    await run.waitForOutput(/bootstrap uid 1000/, 30_000);
  });

  test('/dev/fuse and /dev/net/tun open inside the workspace, which has SYS_ADMIN and NET_ADMIN in its own user namespace', async () => {
    const opened = await exec(['docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', 'sh', '-c',
      'exec 3<>/dev/fuse && echo fuse-opened; exec 4<>/dev/net/tun && echo tun-opened']);
    assert.deepEqual(opened.stdout.trim().split('\n'), ['fuse-opened', 'tun-opened'], opened.stderr);
    const caps = await exec(['docker', '-H', INNER_SOCKET, 'inspect', '-f', '{{.HostConfig.CapAdd}}', 'workspace_cvm']);
    assert.equal(caps.stdout.trim(), '[SYS_ADMIN NET_ADMIN]');
  });

  test('the workspace reaches the test registry (through slirp4netns)', async () => {
    // A plain HTTP request to the TLS port: the registry answers 400, which is proof enough of the route.
    // (busybox nc: this busybox's wget crashes in the workspace, rootful or not.)
    const request = `printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${main.daemon.gateway} 5000 2>&1; echo "nc exit $?"`;
    const got = await exec(['docker', '-H', INNER_SOCKET, 'exec', 'workspace_cvm', 'sh', '-c', request]);
    assert.match(got.stdout, /400 Bad Request/, `exit ${got.exitCode}: ${got.stdout}${got.stderr}`);
  });

  test('envbox status is ready, and --json carries the unenforced-limits warning, which the build log also has', async () => {
    assert.equal((await exec(['/envbox', 'status'])).exitCode, 0);
    // The readiness probe of examples/kubernetes/pod-unprivileged.yaml, as the pod runs it.
    const probe = 'read -r pid start < /run/envbox/ready && read -r stat < /proc/$pid/stat && set -- ${stat##*) } && test "${20}" = "$start"';
    const ready = await exec(['/bin/sh', '-c', probe]);
    assert.equal(ready.exitCode, 0, ready.stderr);
    const json = JSON.parse((await exec(['/envbox', 'status', '--json'])).stdout) as { warnings: string[] };
    assert.equal(json.warnings.length, 1, JSON.stringify(json));
    assert.match(json.warnings[0]!, /^CODER_CPUS=1 and CODER_MEMORY=536870912 not enforced on the workspace: the node uses cgroup v1/);
    assert.equal(run.buildLog().filter((l) => /^Warning: CODER_CPUS=1 and CODER_MEMORY/.test(l.output)).length, 1, run.tail());
    const inner = await exec(['docker', '-H', INNER_SOCKET, 'inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}}', 'workspace_cvm']);
    assert.equal(inner.stdout.trim(), '0 0', 'the limits are not set, so nothing pretends to enforce them');
  });

  /** `docker exec -u coder workspace_cvm ...`: as the workspace user, inside the workspace, with its env (DOCKER_HOST). */
  function asWorkspaceUser(script: string) {
    return exec(['docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', 'sh', '-c', script]);
  }

  test('the workspace has docker (ENVBOX_ROOTLESS_DOCKER_SOCKET, default on): the socket at /var/run/docker.sock, 0660, group of the user', async () => {
    const env = await asWorkspaceUser('echo "$DOCKER_HOST"; stat -c "%u:%g %a %F" /var/run/docker.sock; id -u; id -g');
    assert.deepEqual(env.stdout.trim().split('\n'), ['unix:///var/run/docker.sock', '0:1000 660 socket', '1000', '1000'], env.stderr);
    // Outside, in the outer container: the daemon's root is envbox (1001), group 1000 of the workspace is 10000 + 1000 - 1.
    const outside = await exec(['stat', '-c', '%u:%g %a', '/run/envbox-rootless/docker.sock']);
    assert.equal(outside.stdout.trim(), '1001:10999 660', outside.stderr);
  });

  test('as the workspace user, a real docker client talks to the rootless daemon: docker version, then docker run --rm of the workspace image', async (t) => {
    const version = await asWorkspaceUser(`${WORKSPACE_CLI} version --format '{{.Server.Version}} {{.Server.Os}} rootless={{range .Server.Components}}{{if eq .Name "Engine"}}{{.Details.KernelVersion}}{{end}}{{end}}'`);
    assert.equal(version.exitCode, 0, `${version.stdout}${version.stderr}`);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+\S* linux /, version.stdout);
    const info = await asWorkspaceUser(`${WORKSPACE_CLI} info --format '{{json .SecurityOptions}}'`);
    assert.match(info.stdout, /rootless/, `the daemon the workspace reaches is the rootless one: ${info.stdout}${info.stderr}`);
    const image = (await asWorkspaceUser(`${WORKSPACE_CLI} inspect -f '{{.Config.Image}}' workspace_cvm`)).stdout.trim();
    assert.match(image, /workspace:noinit$/);
    const timed = await asWorkspaceUser(`time -p ${WORKSPACE_CLI} run --rm --pull=never ${image} true 2>&1; echo "rc=$?"`);
    assert.match(timed.stdout, /^rc=0$/m, `${timed.stdout}${timed.stderr}`);
    t.diagnostic(`docker run --rm ${image} true from inside the workspace, as the workspace user: ${/real (\S+)/.exec(timed.stdout)?.[1]} s (busybox time -p)`);
  });

  test('a container started from the workspace runs unprivileged under the same rootless daemon, with every capability too; --privileged fails', async () => {
    const image = (await asWorkspaceUser(`${WORKSPACE_CLI} inspect -f '{{.Config.Image}}' workspace_cvm`)).stdout.trim();
    for (const flags of ['', '--cap-add=ALL --security-opt=seccomp=unconfined']) {
      // Its root is envbox (1001) of the outer container, ids 1.. the subordinate range: the namespace of the daemon, nothing wider.
      const mapped = await asWorkspaceUser(`${WORKSPACE_CLI} run --rm --pull=never ${flags} ${image} cat /proc/self/uid_map`);
      assert.deepEqual(mapped.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['0 1001 1', '1 10000 55536'], `${flags}: ${mapped.stdout}${mapped.stderr}`);
      // A block device node (the way to the node's disks) cannot be made: root there is not root of the pod.
      const mknod = await asWorkspaceUser(`${WORKSPACE_CLI} run --rm --pull=never ${flags} ${image} sh -c 'mknod /tmp/disk b 8 0 2>&1; echo "mknod exit $?"'`);
      assert.match(mknod.stdout, /Operation not permitted[\s\S]*mknod exit 1/, `${flags}: ${mknod.stdout}${mknod.stderr}`);
    }
    // The pod's /sys is read-only, and a user namespace may not mount a sysfs more writable than the one it sees.
    const privileged = await asWorkspaceUser(`${WORKSPACE_CLI} run --rm --pull=never --privileged ${image} true`);
    assert.notEqual(privileged.exitCode, 0);
    assert.match(privileged.stderr, /mount sysfs.*operation not permitted/, privileged.stderr);
  });

  test('a container started from the workspace sees the outer container\'s processes as their owner, and no envbox secret in their env', async () => {
    // The daemon's processes and root of its containers are the same user (envbox), so what is in the daemon's env is readable
    // from any container the workspace starts with the outer /proc bound in: envbox starts it without its secrets.
    const image = (await asWorkspaceUser(`${WORKSPACE_CLI} inspect -f '{{.Config.Image}}' workspace_cvm`)).stdout.trim();
    const script = 'for p in /outer/[0-9]*; do e=$(tr "\\0" "\\n" < $p/environ 2>/dev/null | cut -d= -f1 | tr "\\n" " ") && [ -n "$e" ] && echo "$(cat $p/comm): $e"; done; true';
    const seen = await asWorkspaceUser(`${WORKSPACE_CLI} run --rm --pull=never -v /proc:/outer:ro ${image} sh -c '${script}'`);
    assert.equal(seen.exitCode, 0, seen.stderr);
    const readable = seen.stdout.trim().split('\n').filter(Boolean);
    assert.ok(readable.some((l) => /^(rootlesskit|slirp4netns|dockerd): .*XDG_RUNTIME_DIR/.test(l)), `the daemon's env is readable from there, so the check means something: ${seen.stdout}`);
    assert.deepEqual(readable.filter((l) => /CODER_AGENT_TOKEN|CODER_IMAGE_PULL_SECRET/.test(l)), [], 'no process of the rootless daemon carries envbox\'s secrets');
  });

  test('SIGTERM (docker stop) stops everything, exit 0', async () => {
    const stop = await docker(main, ['stop', OUTER]);
    assert.equal(stop.exitCode, 0, stop.stderr);
    assert.deepEqual(await run.waitForExit(30_000), { code: 0, signal: null }, run.tail());
    assert.ok(run.buildLog().some((l) => l.output.includes('bootstrap got SIGTERM')), run.tail());
  });

  test('start check: no /dev/net/tun -> exit 1, naming the device', async () => {
    const failed = await failingStart(['tun']);
    assert.equal(failed.exitCode, 1, failed.stderr);
    assert.equal(failed.errors.length, 1, failed.stderr);
    assert.match(failed.errors[0]!, /^ENVBOX_ROOTLESS cannot start: \/dev\/net\/tun is missing.*--device \/dev\/net\/tun/);
  });

  test('start check: seccomp confined -> exit 1, naming seccomp=unconfined', async () => {
    const failed = await failingStart(['seccomp']);
    assert.equal(failed.exitCode, 1, failed.stderr);
    assert.match(failed.errors[0]!, /^ENVBOX_ROOTLESS cannot start: envbox runs under a seccomp filter \(Seccomp: 2.*seccomp=unconfined/);
  });

  test('start check: /proc masked -> exit 1, naming systempaths=unconfined', async () => {
    const failed = await failingStart(['proc']);
    assert.equal(failed.exitCode, 1, failed.stderr);
    assert.match(failed.errors[0]!, /^ENVBOX_ROOTLESS cannot start: \/proc is masked .*systempaths=unconfined/);
  });

  test('start check: setuid newuidmap without the file capability -> exit 1, naming setcap', async () => {
    const failed = await failingStart([], ['sh', '-c', 'setcap -r /usr/bin/newuidmap && chmod u+s /usr/bin/newuidmap && exec /envbox docker']);
    assert.equal(failed.exitCode, 1, failed.stderr);
    assert.match(failed.errors[0]!, /^ENVBOX_ROOTLESS cannot start: \/usr\/bin\/newuidmap is setuid-root without the cap_setuid file capability.*setcap cap_setuid\+ep/);
  });

  test('no volume at /var/lib/docker: the rootless dockerd cannot start, and the error line gives its reason and the volume to mount, not only rootlesskit\'s', async () => {
    // failingStart mounts nothing at /var/lib/docker: the image's own (0710 root) bars the rootless user from its data root below it.
    const failed = await failingStart([]);
    assert.equal(failed.exitCode, 1, failed.stderr);
    assert.equal(failed.errors.length, 1, failed.stderr);
    assert.match(failed.errors[0]!, /^dockerd exited before it answered: dockerd exited with code \d+: Unable to get the full path to root \(\/var\/lib\/docker\/rootless\): .*permission denied\. /, failed.stderr);
    assert.match(failed.errors[0]!, /mount a volume \(an emptyDir or a PersistentVolumeClaim\) at \/var\/lib\/docker\/rootless \(or at \/var\/lib\/docker, which holds it\)/, failed.stderr);
  });

  test('on a userns-remapped outer daemon (root of the outer container is not host root): done, docker works in the workspace, and stops with exit 0', async (t) => {
    // --userns-remap=coder maps the outer container's 0-65535 to the host's 100000-165535, as hostUsers: false does.
    const remap = await startOuter(world, 'rootless-remap', ['--userns-remap=coder'], 100000);
    outers.push(remap);
    const started = await start(remap, `${OUTER}-remap`, CLI_MOUNTS);
    t.diagnostic(`rootless on a userns-remapped daemon: docker run to done ${(started.toDoneMs / 1000).toFixed(1)} s (${started.run.buildLog().find((l) => l.type === 'done')?.output})`);
    const uidMap = await docker(remap, ['exec', `${OUTER}-remap`, 'cat', '/proc/self/uid_map']);
    assert.match(uidMap.stdout, /^\s*0\s+100000\s+65536\s*$/m, uidMap.stdout);
    const id = await docker(remap, ['exec', `${OUTER}-remap`, 'docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', 'id', '-u']);
    assert.equal(id.stdout.trim(), '1000', id.stderr);
    const fuse = await docker(remap, ['exec', `${OUTER}-remap`, 'docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', 'sh', '-c', 'exec 3<>/dev/fuse && echo opened']);
    assert.equal(fuse.stdout.trim(), 'opened', fuse.stderr);
    // The socket's chown by the outer container's root, itself remapped, still lets the workspace user in.
    const dockerInside = await docker(remap, ['exec', `${OUTER}-remap`, 'docker', '-H', INNER_SOCKET, 'exec', '-u', 'coder', 'workspace_cvm', WORKSPACE_CLI, 'run', '--rm', '--pull=never', `${remap.daemon.registryHost}/workspace:noinit`, 'echo', 'ran']);
    assert.equal(dockerInside.stdout.trim(), 'ran', dockerInside.stderr);
    assert.equal((await docker(remap, ['stop', `${OUTER}-remap`])).exitCode, 0);
    assert.deepEqual(await started.run.waitForExit(30_000), { code: 0, signal: null }, started.run.tail());
  });
});
