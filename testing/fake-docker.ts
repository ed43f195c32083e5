import type { ContainerState, DockerClient, ExecOptions, ExecResult, PathStat, PullProgress, StreamingExec } from '../core/kernel/docker-client.js';
import type { PullAuth } from '../core/kernel/registry-auth.js';
import type { ContainerCreateBody } from '../core/kernel/container-spec/types.js';
import type { TarInput } from '../core/kernel/docker-client.js';
import { posix } from 'node:path';

export interface Call {
  method: keyof DockerClient;
  args: unknown[];
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ncoder:x:1000:1000::/home/coder:/bin/sh\n';

/**
 * A DockerClient that records every call and answers like a healthy daemon. A test makes one
 * method fail by putting an Error in `failures`, keyed by method name.
 */
export class FakeDocker implements DockerClient {
  readonly calls: Call[] = [];
  readonly failures = new Map<keyof DockerClient, Error | (() => Error | undefined)>();
  readonly created = new Map<string, ContainerCreateBody>();
  files: Record<string, string> = { '/etc/passwd': PASSWD, '/etc/os-release': 'ID=ubuntu\n' };
  hasInit = false;
  /** Symbolic links in the image: path → target, as `ln -s target path` makes them (statPath reports them, openFile follows them). */
  links: Record<string, string> = {};
  pullLines: PullProgress[] = [{ status: 'Pulling fs layer', id: 'abc' }, { status: 'Download complete', id: 'abc' }];
  imagePresent = false;
  bootstrapPid = 4242;
  /** What each `exec` returns; set it to answer a command with a non-zero exit code or some output. */
  execAnswer: (options: ExecOptions) => ExecResult = () => ({ exitCode: 0, output: '' });
  private exitContainer!: (code: number) => void;
  private readonly exitPromise = new Promise<number>((resolve) => { this.exitContainer = resolve; });
  private endBootstrap!: (code: number) => void;

  private record(method: keyof DockerClient, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    const error = typeof failure === 'function' ? failure() : failure;
    if (error) throw error;
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** What was run in the container with exec or execStreaming, in order. */
  execs(): ExecOptions[] {
    return this.calls.filter((c) => c.method === 'exec' || c.method === 'execStreaming').map((c) => c.args[1] as ExecOptions);
  }

  /** Simulates the inner container ending. */
  exit(code: number): void {
    this.exitContainer(code);
  }

  async ping() { this.record('ping'); }
  async pullImage(image: string, auth: PullAuth | null, onProgress: (line: PullProgress) => void) {
    this.record('pullImage', image, auth);
    this.pullLines.forEach(onProgress);
    this.imagePresent = true;
  }
  async imageExists(image: string) { this.record('imageExists', image); return this.imagePresent; }
  async createContainer(name: string, body: ContainerCreateBody) {
    this.record('createContainer', name, body);
    this.created.set(name, body);
    return `id-${name}`;
  }
  async removeContainer(idOrName: string) { this.record('removeContainer', idOrName); }
  async startContainer(id: string) { this.record('startContainer', id); }
  async stopContainer(id: string, timeoutSeconds: number) { this.record('stopContainer', id, timeoutSeconds); }
  async inspectContainer(idOrName: string): Promise<ContainerState | null> {
    this.record('inspectContainer', idOrName);
    return { id: idOrName, name: idOrName, image: '', running: true, exitCode: 0, oomKilled: false, pid: 1, config: {}, hostConfig: {} };
  }
  async waitContainer(id: string) { this.record('waitContainer', id); return this.exitPromise; }
  async openFile(id: string, path: string): Promise<AsyncIterable<Buffer> | null> {
    this.record('openFile', id, path);
    for (let hop = 0; hop < 8 && path in this.links; hop++) {
      path = this.linkTarget(path);
    }
    if (!(path in this.files)) return null;
    const bytes = Buffer.from(this.files[path]!);
    // Chunks smaller than a socket's, so that readers meet lines split across chunks.
    return (async function* chunks() { for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000); })();
  }
  async putFiles(id: string, dir: string, entries: readonly TarInput[]) {
    this.record('putFiles', id, dir, entries);
    for (const entry of entries) if (entry.type === 'file') this.files[`${dir.replace(/\/$/, '')}/${entry.name}`] = entry.data?.toString('utf8') ?? '';
  }
  async statPath(id: string, path: string): Promise<PathStat | null> {
    this.record('statPath', id, path);
    if (path === '/sbin/init') return this.hasInit ? { name: 'init', size: 10, mode: 0o755, linkTarget: '' } : null;
    const name = path.split('/').pop() ?? '';
    if (path in this.links) return { name, size: this.links[path]!.length, mode: 2 ** 27 + 0o777, linkTarget: this.linkTarget(path) };
    if (path in this.files) return { name, size: this.files[path]!.length, mode: 0o644, linkTarget: '' };
    // Go's os.ModeDir bit, as the archive API reports directories.
    if (Object.keys(this.files).some((f) => f.startsWith(`${path}/`))) return { name, size: 4096, mode: 2 ** 31 + 0o755, linkTarget: '' };
    return null;
  }
  /** Where a link points, as dockerd's stat reports it: the target resolved to an absolute path. */
  private linkTarget(path: string): string {
    return posix.resolve(posix.dirname(path), this.links[path]!);
  }
  async pruneImages() { this.record('pruneImages'); }
  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    this.record('exec', id, options);
    return this.execAnswer(options);
  }
  async execStreaming(id: string, options: ExecOptions): Promise<StreamingExec> {
    this.record('execStreaming', id, options);
    const exited = new Promise<number>((resolve) => { this.endBootstrap = resolve; });
    async function* lines() { yield 'bootstrap says hi'; }
    return { id: 'exec-1', lines: lines(), exited };
  }
  async execPid(execId: string) { this.record('execPid', execId); return this.bootstrapPid; }

  /** What `kill` does to the bootstrap process in these tests. */
  finishBootstrap(code: number): void {
    this.endBootstrap?.(code);
  }
}

