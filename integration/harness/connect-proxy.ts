import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitForChild, waitUntil } from './proc.js';
import { repoRoot } from './paths.js';
import type { World } from './world-shape.js';

export interface ProxyEvent {
  event: 'listening' | 'connect' | 'auth-failed' | 'upstream-error' | 'refused';
  target?: string;
  [key: string]: unknown;
}

/** integration/world/connect-proxy.mjs, running in the world's network namespace. */
export class ConnectProxy {
  private readonly lines: ProxyEvent[] = [];
  private constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) this.lines.push(JSON.parse(line) as ProxyEvent);
    });
  }

  /** Listens on every address of the world's namespace, so each sandbox reaches it at its veth peer, 10.99.<n>.1. */
  static async start(world: World, options: { port: number; auth: string }): Promise<ConnectProxy> {
    const child = spawn('nsenter', [`--net=/run/netns/${world.netns}`, process.execPath, join(repoRoot, 'integration', 'world', 'connect-proxy.mjs'),
      '--listen', `0.0.0.0:${options.port}`, '--auth', options.auth, '--map', `${world.registry.name}=${world.registry.ip}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const proxy = new ConnectProxy(child);
    const up = await waitUntil(async () => child.exitCode !== null || proxy.lines.some((l) => l.event === 'listening'), 10_000, 50);
    if (!up || child.exitCode !== null) throw new Error(`the CONNECT proxy did not start (exit ${child.exitCode})`);
    return proxy;
  }

  events(): ProxyEvent[] {
    return [...this.lines];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    if ((await waitForChild(this.child, 5_000)) === undefined) this.child.kill('SIGKILL');
  }
}
