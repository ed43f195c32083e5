import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { chmod, copyFile, mkdir, open, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, mustRun, run, sandboxProcesses, sleep, waitForChild, waitUntil, type CommandResult, type ProcessInfo } from './proc.js';
import type { World } from './world-shape.js';
import { EnvboxRun } from './envbox.js';
import { repoRoot } from './paths.js';
import { nodeCommand } from './bundle.js';

export interface SandboxOptions {
  /** Put the world's CA into the sandbox's /etc/docker/certs.d/registry.test:5000 up front. */
  trustRegistryCa?: boolean;
  /**
   * Host dirs bind-mounted read-only at a path inside the sandbox (under /var/lib, /home, /run or /tmp,
   * which are per-sandbox), as a read-only volume of the outer container would be.
   */
  readOnlyBinds?: { hostDir: string; path: string }[];
  /** Shell lines run inside the sandbox's mount namespace before the command (for example, a small tmpfs). */
  setup?: string[];
}

export interface SandboxPaths {
  dir: string;
  etcDocker: string;
  hosts: string;
  /** The host dir that the sandbox sees as /home. */
  home: string;
  /** The host dir that the sandbox sees as /var/lib. */
  varLib: string;
  run: string;
  tmp: string;
  /** The host dir that the sandbox sees as /root (so the host's ~/.docker never leaks in). */
  root: string;
  socket: string;
  dataRoot: string;
  fallbackDataRoot: string;
  execRoot: string;
  pidfile: string;
  statusFile: string;
  terminationLog: string;
  dockerdLog: string;
  deviceDir: string;
  dockerCliConfig: string;
}

/** The host dirs each sandbox covers with its own. */
const COVERED_DIRS = ['/etc/docker', '/var/lib', '/run', '/tmp', '/home', '/root'];
const repoIsCovered = COVERED_DIRS.some((dir) => repoRoot === dir || repoRoot.startsWith(`${dir}/`));

export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The outer container, without an image: a process tree inside its own network namespace (linked
 * to the world's, where the registry is) and its own private mount namespace, where per-sandbox
 * dirs are bind-mounted over /etc/docker, /etc/hosts, /var/lib, /run, /tmp, /home and /root. The host's
 * /var/lib/docker, /etc/docker and network are therefore never touched. Paths under `dir` are
 * the same inside and outside, so the harness reads sockets, logs and data roots directly.
 */
export class Sandbox {
  readonly paths: SandboxPaths;
  private readonly children: { what: string; child: ChildProcess }[] = [];
  private readonly runs: EnvboxRun[] = [];
  private netnsLink: string | null = null;
  private destroyed = false;

  private constructor(readonly world: World, readonly label: string, readonly netns: string, readonly index: number, dir: string, readonly options: SandboxOptions) {
    this.paths = {
      dir,
      etcDocker: join(dir, 'etc-docker'),
      hosts: join(dir, 'hosts'),
      home: join(dir, 'home'),
      varLib: join(dir, 'var-lib'),
      run: join(dir, 'run'),
      tmp: join(dir, 'tmp'),
      root: join(dir, 'root'),
      socket: join(dir, 'docker.sock'),
      dataRoot: join(dir, 'data'),
      fallbackDataRoot: join(dir, 'data.bak'),
      execRoot: join(dir, 'exec'),
      pidfile: join(dir, 'docker.pid'),
      statusFile: join(dir, 'status', 'status.json'),
      terminationLog: join(dir, 'termination-log'),
      dockerdLog: join(dir, 'dockerd.log'),
      deviceDir: join(dir, 'devices'),
      dockerCliConfig: join(dir, 'docker-cli'),
    };
  }

  static async create(world: World, label: string, options: SandboxOptions = {}): Promise<Sandbox> {
    const index = world.allocateSandboxIndex();
    const dir = join(world.runDir, `s${index}`);
    const netns = `${world.netns}-s${index}`;
    const sandbox = new Sandbox(world, label, netns, index, dir, options);
    await sandbox.build();
    return sandbox;
  }

  private async build(): Promise<void> {
    const p = this.paths;
    await rm(p.dir, { recursive: true, force: true });
    for (const d of [join(p.dir, '.repo'), p.etcDocker, join(p.varLib, 'coder'), join(p.varLib, 'docker'), p.run, p.tmp, join(p.home, 'coder'), p.root, p.deviceDir, p.dockerCliConfig, join(p.dir, '.cgroup')]) {
      await mkdir(d, { recursive: true });
    }
    await chmod(p.tmp, 0o1777);
    for (const b of this.options.readOnlyBinds ?? []) await mkdir(b.hostDir, { recursive: true });
    await writeFile(p.hosts, `127.0.0.1 localhost\n::1 localhost\n${this.world.registry.ip} ${this.world.registry.name}\n`);
    if (this.options.trustRegistryCa) {
      const certs = join(p.etcDocker, 'certs.d', this.world.registry.host);
      await mkdir(certs, { recursive: true });
      await copyFile(this.world.registry.caPath, join(certs, 'ca.crt'));
    }
    // The network: a veth pair whose sandbox end is eth0 with MTU 1400 (envbox reads its MTU), routed to the world.
    const peer = `vs${this.index}`;
    const subnet = `10.99.${this.index}`;
    await mustRun(['ip', 'netns', 'add', this.netns]);
    await mustRun(['ip', '-n', this.netns, 'link', 'set', 'lo', 'up']);
    await mustRun(['ip', 'link', 'add', 'eth0', 'mtu', '1400', 'netns', this.netns, 'type', 'veth', 'peer', 'name', peer, 'mtu', '1400', 'netns', this.world.netns]);
    await mustRun(['ip', '-n', this.world.netns, 'addr', 'add', `${subnet}.1/30`, 'dev', peer]);
    await mustRun(['ip', '-n', this.world.netns, 'link', 'set', peer, 'up']);
    await mustRun(['ip', '-n', this.netns, 'addr', 'add', `${subnet}.2/30`, 'dev', 'eth0']);
    await mustRun(['ip', '-n', this.netns, 'link', 'set', 'eth0', 'up']);
    await mustRun(['ip', '-n', this.netns, 'route', 'add', `${this.world.registry.ip}/32`, 'via', `${subnet}.1`]);
    this.netnsLink = `net:[${(await stat(`/run/netns/${this.netns}`)).ino}]`;
  }

  /**
   * Slows the registry's traffic to this sandbox (a token bucket on the world's end of the veth),
   * so that a pull lasts long enough to be interrupted.
   */
  async throttleRegistry(rate = '1mbit'): Promise<void> {
    await mustRun(['ip', 'netns', 'exec', this.world.netns, 'tc', 'qdisc', 'add', 'dev', `vs${this.index}`, 'root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms']);
  }

  /**
   * Setup lines that make `dockerd` in this sandbox wait `seconds` before it starts (a wrapper
   * bind-mounted over the binary), so that a signal can arrive while envbox waits for the daemon.
   * The wrapper passes SIGTERM on, leaving no `sleep` behind.
   */
  async slowDockerdSetup(seconds: number): Promise<string[]> {
    const real = (await mustRun(['sh', '-c', 'command -v dockerd'])).trim();
    const copy = join(this.paths.dir, 'real-dockerd');
    const wrapper = join(this.paths.dir, 'slow-dockerd');
    await writeFile(copy, '');
    await writeFile(wrapper, [
      '#!/bin/sh',
      `echo "slow-dockerd: starting in ${seconds} s" >&2`,
      'trap \'kill $pid 2>/dev/null; exit 143\' TERM INT',
      `sleep ${seconds} & pid=$!`,
      'wait $pid',
      'trap - TERM INT',
      `exec ${copy} "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
    return [`mount --bind ${real} ${copy}`, `mount --bind ${wrapper} ${real}`];
  }

  /** The shell that builds the sandbox's mount namespace, then execs "$@" (so the pid stays the same). */
  private setupScript(extra: string[]): string {
    const p = this.paths;
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const lines = [
      'set -e',
      // A sysfs of this network namespace, so /sys/class/net shows the sandbox's eth0; the cgroup
      // mounts are carried over because dockerd needs them.
      `mount --rbind /sys/fs/cgroup ${q(join(p.dir, '.cgroup'))}`,
      'mount -t sysfs sysfs /sys',
      `mount --move ${q(join(p.dir, '.cgroup'))} /sys/fs/cgroup`,
      `mount --bind ${q(p.etcDocker)} /etc/docker`,
      `mount --bind ${q(p.hosts)} /etc/hosts`,
      `mount --bind ${q(p.varLib)} /var/lib`,
      `mount --bind ${q(p.run)} /run`,
      `mount --bind ${q(p.tmp)} /tmp`,
      `mount --bind ${q(p.home)} /home`,
      `mount --bind ${q(p.root)} /root`,
    ];
    // A clone under a covered dir (CI may clone into /tmp or /root) would vanish in the sandbox, and
    // with it the envbox under test: it was bound aside first and now goes back at its own path.
    if (repoIsCovered) {
      lines.splice(3, 0, `mount --bind ${q(repoRoot)} ${q(join(p.dir, '.repo'))}`);
      lines.push(`mkdir -p ${q(repoRoot)}`, `mount --bind ${q(join(p.dir, '.repo'))} ${q(repoRoot)}`);
    }
    for (const b of this.options.readOnlyBinds ?? []) {
      lines.push(`mkdir -p ${q(b.path)}`, `mount --bind ${q(b.hostDir)} ${q(b.path)}`, `mount -o remount,bind,ro ${q(b.path)}`);
    }
    lines.push(...(this.options.setup ?? []), ...extra, 'exec "$@"');
    return lines.join('\n');
  }

  /** Spawns argv inside the sandbox. stdout and stderr are pipes unless `stdoutFile` is given. */
  spawn(what: string, argv: string[], options: { env?: NodeJS.ProcessEnv; setup?: string[]; stdoutFile?: number; detached?: boolean; cwd?: string } = {}): ChildProcess {
    if (this.destroyed) throw new Error(`sandbox ${this.label} is already destroyed`);
    const args = ['--net=/run/netns/' + this.netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', this.setupScript(options.setup ?? []), 'sandbox', ...argv];
    const out = options.stdoutFile ?? 'pipe';
    const child = spawn('nsenter', args, { env: options.env ?? { PATH: SANDBOX_PATH, HOME: '/root' }, stdio: ['ignore', out, out], detached: options.detached ?? false, ...(options.cwd ? { cwd: options.cwd } : {}) });
    this.children.push({ what, child });
    return child;
  }

  /** Runs a short command inside the sandbox (for example `mount` to see the sandbox's view). */
  async exec(argv: string[], timeoutMs = 30_000): Promise<CommandResult> {
    return run(['nsenter', '--net=/run/netns/' + this.netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', this.setupScript([]), 'sandbox', ...argv], { env: { PATH: SANDBOX_PATH, HOME: '/root' }, timeoutMs });
  }

  /** The per-sandbox ENVBOX_* paths and the runc runtime; tests add the CODER_* inputs. */
  envboxEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const p = this.paths;
    const env: Record<string, string | undefined> = {
      PATH: SANDBOX_PATH,
      HOME: '/root',
      ENVBOX_RUNTIME: 'runc',
      ENVBOX_DOCKER_SOCKET: p.socket,
      ENVBOX_DOCKER_DATA_ROOT: p.dataRoot,
      ENVBOX_DOCKER_FALLBACK_DATA_ROOT: p.fallbackDataRoot,
      ENVBOX_DOCKER_EXEC_ROOT: p.execRoot,
      ENVBOX_DOCKER_PIDFILE: p.pidfile,
      ENVBOX_DOCKERD_LOG: p.dockerdLog,
      ENVBOX_DEVICE_DIR: p.deviceDir,
      ENVBOX_STATUS_FILE: p.statusFile,
      ENVBOX_TERMINATION_LOG: p.terminationLog,
      ENVBOX_SHUTDOWN_TIMEOUT: '20',
      ENVBOX_DAEMON_TIMEOUT: '60',
      CODER_INNER_USERNAME: 'coder',
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  /** Starts `envbox <args>` (default `docker`) as the outer container's entrypoint would. */
  async startEnvbox(
    env: Record<string, string>, args: string[] = ['docker'], setup: string[] = [],
    /**
     * main: another build of the CLI (the bench times the esbuild bundle, which is what ships).
     * cwd: where envbox runs (default: the test's own); a pod's is its image's WORKDIR, usually /.
     */
    options: { detached?: boolean; main?: string; cwd?: string } = {},
  ): Promise<EnvboxRun> {
    const main = options.main ?? join(repoRoot, 'dist', 'cli', 'main.js');
    await stat(main).catch(() => { throw new Error(`${main} is missing: run \`npm run build\` first`); });
    // detached: in its own process group, so a terminal's Ctrl-C reaches only the caller (the demo), which decides.
    const child = this.spawn(`envbox ${args.join(' ')}`, await nodeCommand(main, args), { env, setup, detached: options.detached ?? false, ...(options.cwd ? { cwd: options.cwd } : {}) });
    const envbox = new EnvboxRun(child, this.paths.dockerdLog, `envbox ${args.join(' ')} in sandbox ${this.label}`);
    this.runs.push(envbox);
    // nsenter, unshare and sh all exec, so the pid we signal is node's own.
    const becameNode = await waitUntil(async () => {
      if (child.exitCode !== null) return true;
      const exe = await readlink(`/proc/${child.pid}/exe`).catch(() => '');
      return exe === process.execPath || exe.endsWith('/node');
    }, 10_000, 20);
    if (!becameNode) throw new Error(`the sandbox did not exec node as pid ${child.pid}:\n${envbox.tail()}`);
    return envbox;
  }

  /**
   * Starts a plain dockerd in the sandbox (what a test uses as an existing daemon). Its default
   * bridge is 172.18.0.1/24 unless `extraArgs` names one with --bridge.
   */
  async startDockerd(extraArgs: string[] = []): Promise<ChildProcess> {
    const p = this.paths;
    const log = await open(join(p.dir, 'harness-dockerd.log'), 'a');
    const bip = extraArgs.some((a) => a.startsWith('--bridge')) ? [] : ['--bip=172.18.0.1/24'];
    const child = this.spawn('harness dockerd', [
      'dockerd', `--host=unix://${p.socket}`, `--data-root=${p.dataRoot}`, `--exec-root=${p.execRoot}`,
      `--pidfile=${p.pidfile}`, ...bip, ...extraArgs,
    ], { stdoutFile: log.fd });
    await log.close();
    const up = await waitUntil(async () => child.exitCode !== null || (await ping(p.socket)), 60_000, 100);
    if (!up || child.exitCode !== null) {
      const text = await readFile(join(p.dir, 'harness-dockerd.log'), 'utf8').catch(() => '');
      throw new Error(`dockerd in sandbox ${this.label} did not come up (exit ${child.exitCode}):\n${text.split('\n').slice(-20).join('\n')}`);
    }
    return child;
  }

  async stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if ((await waitForChild(child, timeoutMs)) === undefined) {
      child.kill('SIGKILL');
      throw new Error(`process ${child.pid} did not exit within ${timeoutMs} ms of SIGTERM`);
    }
  }

  /** `docker -H unix://<sandbox socket> ...`, from the host side: the socket file is visible there. */
  docker(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return run(['docker', '-H', `unix://${this.paths.socket}`, ...args], {
      env: { PATH: SANDBOX_PATH, HOME: '/root', DOCKER_CONFIG: this.paths.dockerCliConfig },
      ...options,
    });
  }

  async dockerOk(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.docker(args, options);
    if (r.exitCode !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  /** Every process of this sandbox still alive, apart from the harness's own dockerds when asked. */
  async processes(exclude: number[] = []): Promise<ProcessInfo[]> {
    return sandboxProcesses(this.netnsLink, this.paths.dir, exclude);
  }

  /**
   * Kills what is left (SIGKILL), deletes the network namespace and the dirs, and throws when
   * anything had been left running: a test must stop what it started.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const problems: string[] = [];
    for (const { what, child } of this.children) {
      if (child.exitCode === null && child.signalCode === null && what.startsWith('harness dockerd')) {
        await this.stopChild(child).catch((e: Error) => problems.push(e.message));
      }
    }
    // Processes get a moment to finish exiting after their parent reported the exit.
    await waitUntil(async () => (await this.processes()).length === 0, 5_000, 100);
    const left = await this.processes();
    if (left.length > 0) {
      problems.push(`processes left running in sandbox ${this.label}:\n${left.map((p) => `  ${p.pid} ${p.cmdline}`).join('\n')}`);
      for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
      await waitUntil(async () => (await this.processes()).length === 0, 10_000, 100);
    }
    const pid = Number((await readFile(this.paths.pidfile, 'utf8').catch(() => '')).trim());
    if (pid > 0 && isAlive(pid)) {
      problems.push(`the dockerd of pidfile ${this.paths.pidfile} (pid ${pid}) is still running`);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await run(['ip', 'netns', 'del', this.netns]);
    this.destroyed = true;
    const outputs: Record<string, string> = {};
    this.runs.forEach((r, i) => {
      outputs[`envbox-${i + 1}.stderr`] = r.stderrText();
      outputs[`envbox-${i + 1}.stdout`] = r.stdoutText();
    });
    await this.world.keepLogs(this.label, this.paths.dir, outputs);
    await sleep(50);
    if (!process.env.ENVBOX_IT_KEEP) await rm(this.paths.dir, { recursive: true, force: true }).catch(() => {});
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }
}

/** GET /_ping on a unix socket; true on HTTP 200. */
export function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}
