import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun, run } from './proc.js';
import { repoRoot } from './paths.js';
import type { Sandbox } from './sandbox.js';
import type { World } from './world-shape.js';
import { runcWrapperScript } from './runc-wrapper.js';
import { serveWorldRegistry } from './world-registry.js';

/** The image `npm run image` writes; the one-liner scenario loads it into its own dockerd. */
export const IMAGE_ARCHIVE = join(repoRoot, 'dist', 'envbox-image.tar');
export const IMAGE_TAG = 'envbox:latest';

/** The bridge of the outer daemon; its gateway address is where the registry listens. */
const BRIDGE = 'envbox-ob0';
const GATEWAY = '10.123.0.1';

/**
 * The test-only OCI runtime: root on this VM lacks CAP_SYS_RESOURCE in its bounding set, so runc
 * fails to give it to a --privileged container. This wrapper deletes it from the bundle's
 * config.json (create/run) and from the process file (exec), then runs runc.
 */
const STRIP_CAPS_RUNC = runcWrapperScript(
  `edit() { sed -i -e 's/,[[:space:]]*"CAP_SYS_RESOURCE"//g' -e 's/"CAP_SYS_RESOURCE"[[:space:]]*,[[:space:]]*//g' -e 's/"CAP_SYS_RESOURCE"//g' "$1"; }`,
);

export interface OuterDaemon {
  /** `docker -H <socket> ...` from the host, with the env given (for `-e NAME` secrets). */
  docker(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): ReturnType<typeof run>;
  /** argv that runs the docker CLI against this daemon, for long-running commands. */
  dockerArgv(args: string[]): string[];
  /** `registry.test:<port>`: the world's registry content, served at the bridge's gateway. */
  registryHost: string;
  gateway: string;
  /** Stops the registry; the sandbox stops the dockerd. */
  stop(): Promise<void>;
}

/**
 * A dockerd of the test's own, standing in for a machine's Docker: its own data root, socket and
 * bridge, and no change to the machine's iptables or ip_forward. The world's registry content is
 * served with TLS and htpasswd on the bridge's gateway address, which containers reach as
 * `registry.test` (`--add-host`). The envbox image is loaded into it.
 */
export async function startOuterDaemon(world: World, sandbox: Sandbox, options: { dockerdArgs?: string[]; archive?: string } = {}): Promise<OuterDaemon> {
  const archive = options.archive ?? IMAGE_ARCHIVE;
  await assertImageIsFresh(archive, archive === IMAGE_ARCHIVE ? 'npm run image' : 'ENVBOX_IMAGE_ARCH=all npm run image');
  const dir = sandbox.paths.dir;
  const ns = sandbox.netns;
  await mustRun(['ip', '-n', ns, 'link', 'add', BRIDGE, 'type', 'bridge']);
  await mustRun(['ip', '-n', ns, 'addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE]);
  await mustRun(['ip', '-n', ns, 'link', 'set', BRIDGE, 'up']);

  const registry = await startGatewayRegistry(world, sandbox);
  const wrapper = join(dir, 'strip-caps-runc');
  await writeFile(wrapper, STRIP_CAPS_RUNC, { mode: 0o755 });
  await sandbox.startDockerd([
    `--bridge=${BRIDGE}`, '--iptables=false', '--ip-forward=false', '--ip-masq=false',
    `--add-runtime=strip-caps=${wrapper}`, '--default-runtime=strip-caps', ...(options.dockerdArgs ?? []),
  ]);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', DOCKER_CONFIG: sandbox.paths.dockerCliConfig };
  const dockerArgv = (args: string[]) => ['docker', '-H', `unix://${sandbox.paths.socket}`, ...args];
  const outer: OuterDaemon = {
    docker: (args, options = {}) => run(dockerArgv(args), { env: { ...env, ...options.env }, timeoutMs: options.timeoutMs ?? 60_000 }),
    dockerArgv,
    registryHost: `${world.registry.name}:5000`,
    gateway: GATEWAY,
    async stop() {
      await sandbox.stopChild(registry, 10_000);
    },
  };
  const loaded = await outer.docker(['load', '-i', archive], { timeoutMs: 300_000 });
  if (loaded.exitCode !== 0) throw new Error(`docker load -i ${archive} failed: ${loaded.stderr}`);
  return outer;
}

/**
 * The flags of coder/envbox's "Hacking" one-liner (everything between `docker run` and the image), on
 * this machine: its four volumes under `volumes` (the README has /tmp/envbox; a path of the outer
 * daemon's mount namespace), --privileged, the workspace image from the registry with its CA, and what
 * this machine needs (ENVBOX_RUNTIME=runc, `registry.test` at the gateway, an empty dir for the
 * missing /lib/modules). CODER_IMAGE_PULL_SECRET, CODER_AGENT_TOKEN and CODER_BOOTSTRAP_SCRIPT are
 * named only, so no secret is on a command line: the docker CLI's environment must hold them.
 */
export async function oneLinerFlags(world: World, sandbox: Sandbox, outer: OuterDaemon, volumes: string): Promise<string[]> {
  let libModules = '/lib/modules';
  if (!existsSync(libModules)) {
    libModules = join(sandbox.paths.dir, 'lib-modules');
    await mkdir(libModules, { recursive: true });
  }
  return [
    '-v', `${volumes}/docker:/var/lib/coder/docker`,
    '-v', `${volumes}/containers:/var/lib/coder/containers`,
    '-v', `${volumes}/sysbox:/var/lib/sysbox`,
    '-v', `${volumes}/docker:/var/lib/docker`,
    '-v', '/usr/src:/usr/src:ro',
    '-v', `${libModules}:/lib/modules:ro`,
    '--privileged',
    '-e', `CODER_INNER_IMAGE=${outer.registryHost}/workspace:init`,
    '-e', 'CODER_INNER_USERNAME=coder',
    // What this machine needs, and the scenario's bootstrap and token:
    '-e', 'ENVBOX_RUNTIME=runc',
    '--add-host', `registry.test:${outer.gateway}`,
    '-v', `${world.registry.caPath}:/etc/envbox/registry-ca.pem:ro`,
    '-e', 'CODER_EXTRA_CERTS_PATH=/etc/envbox/registry-ca.pem',
    '-e', 'CODER_IMAGE_PULL_SECRET', '-e', 'CODER_AGENT_TOKEN', '-e', 'CODER_BOOTSTRAP_SCRIPT',
  ];
}

/**
 * The image must hold the code as it is: an archive older than a source file of the bundle (cli, core,
 * plugins) or of the image (deploy) is refused, with what to run.
 */
export async function assertImageIsFresh(file = IMAGE_ARCHIVE, build = 'npm run image'): Promise<void> {
  const archive = await stat(file).catch(() => null);
  if (!archive) throw new Error(`${file} is missing: run \`${build}\` first (npm test does)`);
  for (const dir of ['cli', 'core', 'plugins', 'deploy']) {
    for (const name of await readdir(join(repoRoot, dir), { recursive: true })) {
      const source = join(repoRoot, dir, name);
      if (name.endsWith('.test.ts')) continue;
      const changed = await stat(source);
      if (changed.isFile() && changed.mtimeMs > archive.mtimeMs) {
        throw new Error(`${file} is older than ${source}: run \`${build}\` again (npm test does)`);
      }
    }
  }
}

function startGatewayRegistry(world: World, sandbox: Sandbox): Promise<ChildProcess> {
  const host = `${world.registry.name}:5000`;
  return serveWorldRegistry(world, sandbox, {
    label: 'gateway registry', listen: `${GATEWAY}:5000`,
    probe: ['--cacert', world.registry.caPath, '--resolve', `${host}:${GATEWAY}`, `https://${host}/v2/`],
  });
}
