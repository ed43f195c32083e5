import type { PullAuth } from './registry-auth.js';
import type { ContainerCreateBody } from './container-spec/types.js';

/** One line of the pull progress stream, as the daemon sends it. */
export interface PullProgress {
  id?: string;
  status?: string;
  progress?: string;
  error?: string;
}

export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits, as the archive API reports them. */
  mode: number;
  linkTarget: string;
}

export interface ContainerState {
  id: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  pid: number;
  /** What the daemon reports for Config and HostConfig, as is. */
  config: Record<string, unknown>;
  hostConfig: Record<string, unknown>;
  name: string;
  image: string;
}

export interface ExecOptions {
  cmd: string[];
  user?: string;
  env?: string[];
  workingDir?: string;
  /** Written to the process's stdin, which is then closed. */
  stdin?: string;
  /**
   * execStreaming: called for each output line longer than EXEC_LINE_LIMIT_BYTES, which reaches
   * `lines` cut at that limit (the rest of it is dropped as it arrives).
   */
  onLongLine?: (limitBytes: number) => void;
}

/** The longest output line execStreaming hands on; a longer one is cut, so no line costs more memory. */
export const EXEC_LINE_LIMIT_BYTES = 64 * 1024;
/** What exec keeps of a command's output; the rest is read and dropped. */
export const EXEC_OUTPUT_LIMIT_BYTES = 1024 * 1024;

export interface ExecResult {
  exitCode: number;
  /** At most EXEC_OUTPUT_LIMIT_BYTES of the output. */
  output: string;
}

export interface StreamingExec {
  id: string;
  /** Output (stdout and stderr) line by line, until the process ends. */
  lines: AsyncIterable<string>;
  /** The exit code, once the process has ended. */
  exited: Promise<number>;
}

/**
 * The Docker calls envbox makes, as testcontainers splits them: an interface the core depends on,
 * one dockerode implementation, and a fake for unit tests of the core.
 */
export interface DockerClient {
  ping(): Promise<void>;
  /** Follows the progress stream to its end; an `error` line in a 200 stream rejects. */
  pullImage(image: string, auth: PullAuth | null, onProgress: (line: PullProgress) => void): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  createContainer(name: string, body: ContainerCreateBody): Promise<string>;
  /** Removes it if it exists; a missing container is not an error. */
  removeContainer(idOrName: string): Promise<void>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  inspectContainer(idOrName: string): Promise<ContainerState | null>;
  /** Resolves with the exit code when the container stops. */
  waitContainer(id: string): Promise<number>;
  /**
   * A file's bytes via the archive API, without starting the container, as they arrive (symlinks
   * followed); null when absent or not a regular file. Stop iterating to close the response.
   */
  openFile(id: string, path: string): Promise<AsyncIterable<Buffer> | null>;
  /** Extracts these entries under `dir` (which must exist) through the archive API; works before start. */
  putFiles(id: string, dir: string, entries: readonly TarInput[]): Promise<void>;
  /** HEAD on the archive API; null when the path does not exist. */
  statPath(id: string, path: string): Promise<PathStat | null>;
  pruneImages(): Promise<void>;
  exec(id: string, options: ExecOptions): Promise<ExecResult>;
  execStreaming(id: string, options: ExecOptions): Promise<StreamingExec>;
  /** The exec's process id on the host, or 0 once it has ended. */
  execPid(execId: string): Promise<number>;
}

/** One entry of an archive envbox writes into a container (owned by the container's root). */
export interface TarInput {
  /** Relative to the directory the archive is extracted in: `docker/daemon.json`. */
  name: string;
  type: 'file' | 'dir';
  mode: number;
  data?: Buffer;
}
