import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion. Never rejects for a non-zero exit; see `mustRun`. */
export function run(argv: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n[harness] killed after ${options.timeoutMs} ms`;
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`cannot run ${file}: ${err.message}`)); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ exitCode: code, stdout, stderr }); });
    // A command that exits without reading its stdin must not crash the runner with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like `run`, but a non-zero exit is an error that shows the command and its stderr. */
export async function mustRun(argv: string[], options: Parameters<typeof run>[1] = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.exitCode !== 0) {
    throw new Error(`\`${argv.join(' ')}\` exited ${result.exitCode}: ${(result.stderr || result.stdout).trim()}`);
  }
  return result.stdout;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the exit code (null when killed by a signal), or with undefined after `timeoutMs`. */
export function waitForChild(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  netns: string | null;
  cmdline: string;
}

export async function listProcesses(): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // The command name may hold spaces and parentheses; ppid is the second field after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      const netns = await readlink(`/proc/${pid}/ns/net`).catch(() => null);
      out.push({ pid, ppid, netns, cmdline });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

/**
 * Processes that belong to a sandbox: those in its network namespace, those whose command line
 * names its directory, and every descendant of either (containers run in their own namespaces
 * under a containerd shim, which is in the sandbox's).
 */
export async function sandboxProcesses(netnsLink: string | null, dir: string, exclude: number[] = []): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const members = new Set<number>();
  for (const p of all) {
    if (exclude.includes(p.pid) || p.pid === process.pid) continue;
    if ((netnsLink !== null && p.netns === netnsLink) || p.cmdline.includes(dir)) members.add(p.pid);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!members.has(p.pid) && members.has(p.ppid) && !exclude.includes(p.pid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => members.has(p.pid));
}
