/**
 * What plugins may read about the outer container: env, files, the mount table and links.
 * Reads only; writes are declared as actions. Tests inject a fake tree instead of the real one.
 */
export type FileKind = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'other';

export interface FileStat {
  kind: FileKind;
  /** Permission bits, including setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** For device nodes. */
  major?: number;
  minor?: number;
  /** Device and inode: two paths with both equal are the same file (a bind mount, a hard link). */
  dev?: number;
  ino?: number;
}

export interface MountEntry {
  /** Where it is mounted. */
  target: string;
  source: string;
  fstype: string;
  options: string[];
}

/** A directory entry with the kind the directory itself records (d_type), so no stat is needed. */
export interface DirEntry {
  name: string;
  kind: FileKind;
}

/**
 * The most `HostView.readFile` returns. What plugins read through the host is small (a docker config,
 * /etc/passwd, a /proc or /sys file); a path that names something bigger is not what it claims to be.
 */
export const HOST_READ_LIMIT_BYTES = 4 * 1024 * 1024;

export interface HostView {
  readonly env: Readonly<Record<string, string>>;
  lstat(path: string): Promise<FileStat | null>;
  stat(path: string): Promise<FileStat | null>;
  readdir(path: string): Promise<string[]>;
  /** Entries with their kinds, without a stat per entry (symlinks are reported as symlinks). */
  readdirKinds(path: string): Promise<DirEntry[]>;
  readlink(path: string): Promise<string | null>;
  /** The path with every link in it resolved (realpath(3)), or null when it does not exist. */
  realpath(path: string): Promise<string | null>;
  /**
   * A regular file's text, following links (these paths are the admin's or the kernel's); null when it
   * does not exist, is not a regular file (a FIFO, a device: never opened blocking), or holds more than
   * HOST_READ_LIMIT_BYTES (4 MiB). A caller that must say why stats the path itself.
   */
  readFile(path: string): Promise<string | null>;
  mounts(): Promise<MountEntry[]>;
  /**
   * A file's capabilities as getcap prints them (`cap_setuid=ep`), '' when it has none, or null
   * when they cannot be read (no such file, or no getcap).
   */
  fileCapabilities(path: string): Promise<string | null>;
  /** The MTU of a network link, or null when the link does not exist. */
  linkMtu(name: string): Promise<number | null>;
}
