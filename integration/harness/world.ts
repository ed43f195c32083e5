import { spawn, type ChildProcess } from 'node:child_process';
import { access, cp, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, mustRun, run, sandboxProcesses, waitForChild, waitUntil } from './proc.js';
import { assetsDir, repoRoot, runsDir } from './paths.js';
import { Sandbox } from './sandbox.js';
import type { ImageVariant, Registry, World } from './world-shape.js';

export type { HubMirror, ImageVariant, Registry, World } from './world-shape.js';

interface WorldState extends World {
  registryProcess: ChildProcess;
  mirrorProcess?: ChildProcess;
}

const TARBALLS: Record<ImageVariant, string> = { init: 'init', noinit: 'noinit', big: 'big', daemonJson: 'daemon-json', daemonJsonMtu: 'daemon-json-mtu' };
const MIRROR_PUSH_NAME = 'registry.test:5000/library/envbox-workspace:init';

const SETUP_HINT = 'run `sudo integration/world/setup.sh` (it installs docker.io docker-registry busybox-static apache2-utils and creates the coder user)';

/**
 * The test world: a network namespace holding the registry at 10.99.0.1:5000 (TLS from the
 * world's CA, htpasswd bcrypt auth) with the test images pushed to it. A non-loopback address is
 * required: dockerd skips TLS verification for registries on 127.0.0.0/8.
 */
export async function createWorld(): Promise<World> {
  await checkPrerequisites();
  await mustRun([join(repoRoot, 'integration', 'world', 'build-assets.sh')], { timeoutMs: 120_000 });
  await sweepStaleWorlds();

  const netns = `envbox-it-${process.pid}`;
  const runDir = join(runsDir, `${process.pid}`);
  await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const password = (await readFile(join(assetsDir, 'auth', 'password'), 'utf8')).trim();
  const username = (await readFile(join(assetsDir, 'auth', 'username'), 'utf8')).trim();
  const registry: Registry = { name: 'registry.test', host: 'registry.test:5000', ip: '10.99.0.1', caPath: join(assetsDir, 'pki', 'ca.pem'), username, password };

  await mustRun(['ip', 'netns', 'add', netns]);
  let sandboxIndex = 0;
  const world: WorldState = {
    netns, runDir, registry,
    mirror: { url: 'https://registry.test:5444', host: 'registry.test:5444', hubImage: 'envbox-workspace:init' },
    images: Object.fromEntries(Object.entries(TARBALLS).map(([v, tag]) => [v, `${registry.host}/workspace:${tag}`])) as Record<ImageVariant, string>,
    tarballs: Object.fromEntries(Object.entries(TARBALLS).map(([v, file]) => [v, join(assetsDir, 'images', `${file}.tar`)])) as Record<ImageVariant, string>,
    allocateSandboxIndex: () => {
      sandboxIndex += 1;
      if (sandboxIndex > 250) throw new Error('more than 250 sandboxes in one world');
      return sandboxIndex;
    },
    keepLogs: (label, dir, extra) => keepLogs(label, dir, extra),
    registryProcess: undefined as unknown as ChildProcess,
  };
  try {
    await mustRun(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    await mustRun(['ip', '-n', netns, 'addr', 'add', `${registry.ip}/32`, 'dev', 'lo']);
    // Sandboxes get their own eth0 (MTU 1400): the sandbox end of a veth pair to this namespace.
    // (A dummy link would do for the MTU alone, but the dummy module is missing on this kernel.)

    const storage = join(runDir, 'registry');
    const cache = join(assetsDir, 'registry-cache');
    const stamp = (await readFile(join(assetsDir, 'stamp'), 'utf8')).trim();
    const cached = (await readFile(join(cache, '.stamp'), 'utf8').catch(() => '')).trim() === stamp;
    if (cached) await cp(cache, storage, { recursive: true });
    else await mkdir(storage, { recursive: true });

    world.registryProcess = await startRegistry(world, storage);
    if (!cached) {
      await pushTestImages(world);
      // (the mirror shares this storage, so what is pushed here is what it serves)
      const tmp = `${cache}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await cp(storage, tmp, { recursive: true });
      await writeFile(join(tmp, '.stamp'), stamp);
      await rm(cache, { recursive: true, force: true });
      await rename(tmp, cache);
    }
    world.mirrorProcess = await startRegistry(world, storage, 'mirror');
  } catch (err) {
    await destroyWorld(world).catch(() => {});
    throw err;
  }
  return world;
}

export async function destroyWorld(world: World): Promise<void> {
  const state = world as WorldState;
  const problems: string[] = [];
  for (const [what, child] of [['registry', state.registryProcess], ['mirror registry', state.mirrorProcess]] as const) {
    if (!child || child.exitCode !== null) continue;
    child.kill('SIGTERM');
    if ((await waitForChild(child, 10_000)) === undefined) {
      child.kill('SIGKILL');
      problems.push(`the ${what} did not exit on SIGTERM`);
    }
  }
  const link = await netnsLink(world.netns);
  const left = await sandboxProcesses(link, world.runDir);
  if (left.length > 0) {
    problems.push(`processes left in the world:\n${left.map((p) => `  ${p.pid} ${p.cmdline}`).join('\n')}`);
    for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  // Deleting the namespace also deletes the world ends of the sandboxes' veth pairs.
  for (const name of await netnsNames()) {
    if (name === world.netns || name.startsWith(`${world.netns}-`)) await run(['ip', 'netns', 'del', name]);
  }
  if (!process.env.ENVBOX_IT_KEEP) await rm(world.runDir, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** The registry (TLS and basic auth on :5000), or the Docker Hub mirror (TLS, anonymous, :5444) on the same storage. */
async function startRegistry(world: World, storage: string, role: 'registry' | 'mirror' = 'registry'): Promise<ChildProcess> {
  const config = join(world.runDir, `${role}.yml`);
  const port = role === 'registry' ? 5000 : 5444;
  await writeFile(config, [
    'version: 0.1',
    // info: the mirror's access log shows which requests it served.
    `log: {level: ${role === 'registry' ? 'warn' : 'info'}}`,
    `storage: {filesystem: {rootdirectory: ${storage}}, delete: {enabled: true}}`,
    'http:',
    `  addr: ${world.registry.ip}:${port}`,
    '  secret: envbox-test-world',
    `  tls: {certificate: ${join(assetsDir, 'pki', 'server.pem')}, key: ${join(assetsDir, 'pki', 'server.key')}}`,
    ...(role === 'registry' ? ['auth:', `  htpasswd: {realm: envbox-test, path: ${join(assetsDir, 'auth', 'htpasswd')}}`] : []),
    '',
  ].join('\n'));
  const log = await open(join(world.runDir, `${role}.log`), 'a');
  const child = spawn('nsenter', [`--net=/run/netns/${world.netns}`, 'docker-registry', 'serve', config], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const up = await waitUntil(async () => {
    if (child.exitCode !== null) return true;
    const r = await run(['nsenter', `--net=/run/netns/${world.netns}`, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
      '--cacert', world.registry.caPath, '--resolve', `${world.registry.name}:${port}:${world.registry.ip}`, `https://${world.registry.name}:${port}/v2/`], { timeoutMs: 5_000 });
    return r.stdout.trim() === (role === 'registry' ? '401' : '200');
  }, 15_000, 100);
  if (!up || child.exitCode !== null) {
    const text = await readFile(join(world.runDir, `${role}.log`), 'utf8').catch(() => '');
    throw new Error(`the ${role} did not come up (exit ${child.exitCode}):\n${text}`);
  }
  return child;
}

/** Imports the rootfs tarballs into a helper dockerd in the world and pushes them (once; the storage is cached). */
async function pushTestImages(world: World): Promise<void> {
  const sandbox = await Sandbox.create(world, 'image-push', { trustRegistryCa: true });
  try {
    await sandbox.startDockerd();
    await sandbox.dockerOk(['login', '-u', world.registry.username, '--password-stdin', world.registry.host], { input: world.registry.password });
    for (const variant of Object.keys(TARBALLS) as ImageVariant[]) {
      await sandbox.dockerOk(['import', world.tarballs[variant], world.images[variant]], { timeoutMs: 60_000 });
      await sandbox.dockerOk(['push', world.images[variant]], { timeoutMs: 60_000 });
    }
    await sandbox.dockerOk(['tag', world.images.init, MIRROR_PUSH_NAME]);
    await sandbox.dockerOk(['push', MIRROR_PUSH_NAME], { timeoutMs: 60_000 });
  } finally {
    await sandbox.destroy();
  }
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`the integration suite must run as root; ${SETUP_HINT}`);
  const missing: string[] = [];
  for (const tool of ['dockerd', 'containerd', 'runc', 'docker', 'docker-registry', 'busybox', 'htpasswd', 'openssl', 'ip', 'tc', 'nsenter', 'unshare', 'curl', 'iptables']) {
    const r = await run(['sh', '-c', `command -v ${tool}`]).catch(() => ({ exitCode: 1 }));
    if (r.exitCode !== 0) missing.push(tool);
  }
  if (missing.length > 0) throw new Error(`missing prerequisites: ${missing.join(', ')}; ${SETUP_HINT}`);
  const subuid = await readFile('/etc/subuid', 'utf8').catch(() => '');
  const subgid = await readFile('/etc/subgid', 'utf8').catch(() => '');
  if (!/^coder:100000:65536$/m.test(subuid) || !/^coder:100000:65536$/m.test(subgid)) {
    throw new Error(`/etc/subuid and /etc/subgid must hold coder:100000:65536 for --userns-remap=coder; ${SETUP_HINT}`);
  }
  if ((await run(['id', 'coder'])).exitCode !== 0) throw new Error(`the user coder does not exist; ${SETUP_HINT}`);
  await access('/etc/docker').catch(() => { throw new Error(`/etc/docker is missing (the docker.io package makes it); ${SETUP_HINT}`); });
}

async function netnsNames(): Promise<string[]> {
  return readdir('/run/netns').catch(() => []);
}

async function netnsLink(name: string): Promise<string | null> {
  const r = await run(['stat', '-L', '-c', '%i', `/run/netns/${name}`]);
  return r.exitCode === 0 ? `net:[${r.stdout.trim()}]` : null;
}

/** Removes worlds of test processes that died without cleaning up (their pid is in the name). */
async function sweepStaleWorlds(): Promise<void> {
  for (const name of await netnsNames()) {
    const m = /^envbox-it-(\d+)(-s\d+)?$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    const link = await netnsLink(name);
    for (const p of await sandboxProcesses(link, join(runsDir, m[1]!))) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await run(['ip', 'netns', 'del', name]);
    await rm(join(runsDir, m[1]!), { recursive: true, force: true });
  }
}

/** Copies a sandbox's logs to $ENVBOX_IT_DIR/logs/<label>/ so a failure can be read after cleanup. */
async function keepLogs(label: string, sandboxDir: string, extra: Record<string, string> = {}): Promise<void> {
  const dest = join(runsDir, 'logs', label.replace(/[^A-Za-z0-9_.-]+/g, '-'));
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  for (const name of ['dockerd.log', 'harness-dockerd.log', 'termination-log']) {
    await cp(join(sandboxDir, name), join(dest, name)).catch(() => {});
  }
  for (const [name, text] of Object.entries(extra)) await writeFile(join(dest, name), text);
}
