import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type CommandResult } from './proc.js';
import type { Sandbox } from './sandbox.js';
import type { World } from './world-shape.js';
import { runcWrapperScript } from './runc-wrapper.js';
import { serveWorldRegistry } from './world-registry.js';

/** Where the registry listens inside the sandbox's network namespace, which a hostNetwork pod shares. */
export const LOOPBACK_REGISTRY = '127.0.0.1:5000';

/**
 * The OCI runtime podman is given: root on this VM lacks CAP_SYS_RESOURCE, so runc cannot apply podman's
 * default rlimits (nofile, nproc: "error setting rlimit type 7") nor grant that capability to a privileged
 * container. It deletes both from the bundle's config.json (create, run) and from the process file (exec),
 * then runs runc. A shell `exec` keeps the fds and the exit status conmon expects.
 */
function runtimeShim(node: string): string {
  const edit = [
    'const fs = require("fs"); const file = process.argv[1];',
    'const spec = JSON.parse(fs.readFileSync(file, "utf8")); const proc = spec.process ?? spec;',
    'delete proc.rlimits;',
    'for (const set of Object.keys(proc.capabilities ?? {})) proc.capabilities[set] = proc.capabilities[set].filter((c) => c !== "CAP_SYS_RESOURCE");',
    'fs.writeFileSync(file, JSON.stringify(spec));',
  ].join(' ');
  return runcWrapperScript(`edit() { ${node} -e '${edit}' "$1"; }`);
}

export interface Podman {
  /** Runs `podman <args>` in the sandbox's network namespace, on this test's own storage. */
  podman(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** The argv of the same, for a long-running command (`podman logs -f`). */
  argv(args: string[]): string[];
  /** The sandbox dir that stands in for a node path the pod mounts but this VM lacks. */
  hostDir(name: string): Promise<string>;
  /** Stops the registry. */
  stop(): Promise<void>;
}

/**
 * Podman on storage of the test's own (root, runroot, tmpdir and secrets under the sandbox dir), in the
 * sandbox's network namespace: a hostNetwork pod's dockerd then makes its docker0 and DOCKER iptables
 * chains there, and they go when the namespace is deleted, not on this machine. Only the network is
 * entered: podman keeps its mounts in the machine's mount namespace, where each later podman command
 * finds them. A registry with the world's content, TLS and htpasswd listens on 127.0.0.1:5000 of that
 * namespace, so the pod never resolves a name.
 */
export async function startPodman(world: World, sandbox: Sandbox): Promise<Podman> {
  const version = await run(['podman', '--version']).catch(() => undefined);
  if (version?.exitCode !== 0) throw new Error('podman is not installed: run `sudo integration/world/setup.sh` (it installs podman and catatonit)');
  const dir = join(sandbox.paths.dir, 'podman');
  for (const d of ['root', 'runroot', 'tmp', 'host']) await mkdir(join(dir, d), { recursive: true });
  const shim = join(dir, 'runc-shim');
  await writeFile(shim, runtimeShim(process.execPath), { mode: 0o755 });
  const registry = await startLoopbackRegistry(world, sandbox);
  const argv = (args: string[]) => [
    'nsenter', `--net=/run/netns/${sandbox.netns}`, 'podman',
    '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'),
    '--runtime', shim, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--log-level', 'error', ...args,
  ];
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
  return {
    podman: (args, options = {}) => run(argv(args), { env, ...(options.input !== undefined ? { input: options.input } : {}), timeoutMs: options.timeoutMs ?? 120_000 }),
    argv,
    async hostDir(name) {
      const path = join(dir, 'host', name);
      await mkdir(path, { recursive: true });
      return path;
    },
    stop: () => sandbox.stopChild(registry, 10_000),
  };
}

function startLoopbackRegistry(world: World, sandbox: Sandbox): Promise<ChildProcess> {
  return serveWorldRegistry(world, sandbox, { label: 'loopback registry', listen: LOOPBACK_REGISTRY, probe: ['-k', `https://${LOOPBACK_REGISTRY}/v2/`] });
}
