import { posix } from 'node:path';
import type { FileStat, HostView, MountEntry } from '../core/kernel/host-view.js';

type Node =
  | { kind: 'file'; content: string; mode: number }
  | { kind: 'dir'; mode: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'char'; major: number; minor: number; mode: number };

/**
 * An in-memory outer container for plugin unit tests: files, dirs, symlinks and device nodes,
 * a mount table, env vars and network links. Parent dirs are created implicitly.
 */
export class MemoryHost implements HostView {
  private readonly nodes = new Map<string, Node>([['/', { kind: 'dir', mode: 0o755 }]]);
  private mountTable: MountEntry[] = [];
  private links = new Map<string, number>();
  private caps = new Map<string, string>();
  private owners = new Map<string, [number, number]>();
  private bound = new Map<string, string>();

  constructor(public env: Record<string, string> = {}) {}

  file(path: string, content = '', mode = 0o644): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'file', content, mode });
    return this;
  }

  dir(path: string, mode = 0o755): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'dir', mode });
    return this;
  }

  /**
   * `path` as a bind mount of the directory `source`: the same file (device and inode) under another name,
   * which no link leads to (realpath is `path` itself), as one volume mounted at two places is.
   */
  bind(path: string, source: string): this {
    this.dir(path);
    this.bound.set(path, source);
    return this;
  }

  symlink(path: string, target: string): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'symlink', target });
    return this;
  }

  charDevice(path: string, major: number, minor: number, mode = 0o666): this {
    this.parents(path);
    this.nodes.set(path, { kind: 'char', major, minor, mode });
    return this;
  }

  mount(target: string, options: Partial<Omit<MountEntry, 'target'>> = {}): this {
    this.mountTable.push({ target, source: options.source ?? 'none', fstype: options.fstype ?? 'bind', options: options.options ?? ['ro'] });
    return this;
  }

  /** Owner of a path (default root). */
  own(path: string, uid: number, gid: number): this {
    this.owners.set(path, [uid, gid]);
    return this;
  }

  /** File capabilities as getcap prints them, e.g. `cap_setuid=ep`. */
  capabilities(path: string, caps: string): this {
    this.caps.set(path, caps);
    return this;
  }

  link(name: string, mtu: number): this {
    this.links.set(name, mtu);
    return this;
  }

  private parents(path: string): void {
    let dir = posix.dirname(path);
    const missing: string[] = [];
    while (!this.nodes.has(dir)) {
      missing.push(dir);
      dir = posix.dirname(dir);
    }
    for (const d of missing) this.nodes.set(d, { kind: 'dir', mode: 0o755 });
  }

  private resolve(path: string, depth = 0): string | null {
    const node = this.nodes.get(path);
    if (!node) return null;
    if (node.kind !== 'symlink') return path;
    if (depth > 40) return null;
    const next = node.target.startsWith('/') ? node.target : posix.join(posix.dirname(path), node.target);
    return this.resolve(next, depth + 1);
  }

  /** One device; the inode is the node's place in the tree, so a symlink's target is the same file. */
  private toStat(path: string, node: Node): FileStat {
    const identity = { dev: 1, ino: [...this.nodes.keys()].indexOf(this.bound.get(path) ?? path) + 1 };
    if (node.kind === 'symlink') return { kind: 'symlink', mode: 0o777, uid: 0, gid: 0, ...identity };
    if (node.kind === 'char') return { kind: 'char', mode: node.mode, uid: 0, gid: 0, major: node.major, minor: node.minor, ...identity };
    return { kind: node.kind, mode: node.mode, uid: 0, gid: 0, ...identity };
  }

  async lstat(path: string) {
    const node = this.nodes.get(path);
    return node ? this.owned(path, this.toStat(path, node)) : null;
  }

  async stat(path: string) {
    const real = this.resolve(path);
    return real ? this.owned(real, this.toStat(real, this.nodes.get(real)!)) : null;
  }

  private owned(path: string, stat: FileStat): FileStat {
    const owner = this.owners.get(path);
    return owner ? { ...stat, uid: owner[0], gid: owner[1] } : stat;
  }

  async readdir(path: string) {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return [...this.nodes.keys()]
      .filter((p) => p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => p.slice(prefix.length))
      .sort();
  }

  async readdirKinds(path: string) {
    return Promise.all((await this.readdir(path)).map(async (name) => ({ name, kind: (await this.lstat(posix.join(path, name)))!.kind })));
  }

  async readlink(path: string) {
    const node = this.nodes.get(path);
    return node?.kind === 'symlink' ? node.target : null;
  }

  /** Resolves links in every component, as realpath(3) does; a missing path is null. */
  async realpath(path: string) {
    return this.realpathFrom(path, 0);
  }

  private realpathFrom(path: string, depth: number): string | null {
    let real = '/';
    for (const part of posix.normalize(path).split('/').filter(Boolean)) {
      if (part === '..') {
        real = posix.dirname(real);
        continue;
      }
      const candidate = posix.join(real, part);
      const node = this.nodes.get(candidate);
      if (!node) return null;
      if (node.kind !== 'symlink') {
        real = candidate;
        continue;
      }
      if (depth > 40) return null;
      const resolved = this.realpathFrom(node.target.startsWith('/') ? node.target : posix.join(real, node.target), depth + 1);
      if (resolved === null) return null;
      real = resolved;
    }
    return real;
  }

  async readFile(path: string) {
    const real = this.resolve(path);
    const node = real ? this.nodes.get(real) : undefined;
    return node?.kind === 'file' ? node.content : null;
  }

  async mounts() {
    return [...this.mountTable];
  }

  async fileCapabilities(path: string) {
    return this.resolve(path) === null ? null : (this.caps.get(path) ?? '');
  }

  async linkMtu(name: string) {
    return this.links.get(name) ?? null;
  }
}
