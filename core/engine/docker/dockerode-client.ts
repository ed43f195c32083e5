import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { ExecOutputDemux } from './demux.js';
import Docker from 'dockerode';
import type { PullAuth } from '../../kernel/registry-auth.js';
import type { Logger } from '../log/logger.js';
import type { ContainerCreateBody } from '../../kernel/container-spec/types.js';
import { EXEC_LINE_LIMIT_BYTES, EXEC_OUTPUT_LIMIT_BYTES, type ContainerState, type DockerClient, type ExecOptions, type ExecResult, type PathStat, type PullProgress, type StreamingExec, type TarInput } from '../../kernel/docker-client.js';
import { boundedLines, readCapped } from '../read-lines.js';
import { encodeRegistryAuth } from '../../kernel/registry-auth.js';
import { openFirstTarEntry, tarOf } from './tar.js';

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error ? Number((error as { statusCode: unknown }).statusCode) : undefined;
}

/** dockerode puts the daemon's JSON reason in `json.message`; that is the text users need. */
export function daemonMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
    if (error instanceof Error) return error.message;
  }
  return String(error);
}

/** A pull progress line is a small JSON object; a longer line is not one, and is cut and skipped. */
const PULL_LINE_LIMIT_BYTES = 64 * 1024;

async function* textLines(stream: AsyncIterable<Buffer>, onLongLine?: (limitBytes: number) => void): AsyncGenerator<string> {
  for await (const line of boundedLines(stream, EXEC_LINE_LIMIT_BYTES)) {
    if (line.cut) onLongLine?.(EXEC_LINE_LIMIT_BYTES);
    yield line.text;
  }
}

function connectionOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port), protocol: 'http' };
}

/**
 * DockerClient over dockerode. Every call logs the same way, as testcontainers does:
 * debug before, debug after with the id, and the daemon's own message on failure.
 */
export class DockerodeClient implements DockerClient {
  private readonly docker: Docker;

  constructor(host: string, private readonly log: Logger) {
    this.docker = new Docker(connectionOptions(host));
  }

  private async call<T>(what: string, context: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
    this.log.debug({ ...context }, `docker: ${what}`);
    try {
      const result = await work();
      this.log.debug({ ...context }, `docker: ${what} done`);
      return result;
    } catch (error) {
      const message = daemonMessage(error);
      this.log.debug({ ...context, error: message }, `docker: ${what} failed`);
      throw new Error(`${what}: ${message}`, { cause: error });
    }
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async pullImage(image: string, auth: PullAuth | null, onProgress: (line: PullProgress) => void): Promise<void> {
    await this.call('pull image', { image }, async () => {
      const options = auth ? { authconfig: { base64: encodeRegistryAuth(auth) } } : {};
      const stream = (await this.docker.pull(image, options)) as Readable;
      // The daemon answers 200 before the pull is done, and reports failures inside the stream.
      let failure: string | undefined;
      for await (const { text: line, cut } of boundedLines(stream, PULL_LINE_LIMIT_BYTES)) {
        if (cut || line.trim() === '') continue;
        let event: PullProgress & { errorDetail?: { message?: string } };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          continue;
        }
        if (event.error || event.errorDetail?.message) failure ??= event.error ?? event.errorDetail?.message;
        onProgress(event);
      }
      if (failure !== undefined) throw new Error(failure);
    });
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw new Error(`inspect image: ${daemonMessage(error)}`, { cause: error });
    }
  }

  async createContainer(name: string, body: ContainerCreateBody): Promise<string> {
    return this.call('create container', { name }, async () => {
      const container = await this.docker.createContainer({ ...(body as Docker.ContainerCreateOptions), name });
      return container.id;
    });
  }

  async removeContainer(idOrName: string): Promise<void> {
    try {
      await this.docker.getContainer(idOrName).remove({ force: true, v: true });
    } catch (error) {
      const status = statusOf(error);
      // 404: already gone. 409: AutoRemove is already removing it.
      if (status === 404 || status === 409) return;
      throw new Error(`remove container ${idOrName}: ${daemonMessage(error)}`, { cause: error });
    }
  }

  async startContainer(id: string): Promise<void> {
    await this.call('start container', { id }, () => this.docker.getContainer(id).start());
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (error) {
      const status = statusOf(error);
      if (status === 304 || status === 404) return;
      throw new Error(`stop container: ${daemonMessage(error)}`, { cause: error });
    }
  }

  async inspectContainer(idOrName: string): Promise<ContainerState | null> {
    try {
      const info = await this.docker.getContainer(idOrName).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        image: info.Config.Image,
        running: info.State.Running,
        exitCode: info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        pid: info.State.Pid,
        config: info.Config as unknown as Record<string, unknown>,
        hostConfig: info.HostConfig as unknown as Record<string, unknown>,
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw new Error(`inspect container: ${daemonMessage(error)}`, { cause: error });
    }
  }

  async waitContainer(id: string): Promise<number> {
    const result = (await this.docker.getContainer(id).wait({ condition: 'not-running' })) as { StatusCode: number };
    return result.StatusCode;
  }

  async openFile(id: string, path: string): Promise<AsyncIterable<Buffer> | null> {
    let current = path;
    // Follow a few symlinks, since /etc/os-release is usually one.
    for (let hop = 0; hop < 8; hop++) {
      let archive: Readable;
      try {
        archive = (await this.docker.getContainer(id).getArchive({ path: current })) as Readable;
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw new Error(`read ${current} from the image: ${daemonMessage(error)}`, { cause: error });
      }
      const entry = await openFirstTarEntry(archive);
      if (!entry) return null;
      if (entry.type === 'file') return entry.data;
      await entry.data.return();
      if (entry.type !== 'symlink') return null;
      current = entry.linkTarget.startsWith('/') ? entry.linkTarget : posix.join(posix.dirname(current), entry.linkTarget);
    }
    return null;
  }

  async putFiles(id: string, dir: string, entries: readonly TarInput[]): Promise<void> {
    await this.call('put files', { id, dir, names: entries.map((e) => e.name) }, async () => {
      await this.docker.getContainer(id).putArchive(tarOf(entries), { path: dir });
    });
  }

  async statPath(id: string, path: string): Promise<PathStat | null> {
    try {
      const response = (await this.docker.getContainer(id).infoArchive({ path })) as Readable & { headers: Record<string, string> };
      response.resume();
      const header = response.headers['x-docker-container-path-stat'];
      if (!header) return null;
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw new Error(`stat ${path} in the image: ${daemonMessage(error)}`, { cause: error });
    }
  }

  async pruneImages(): Promise<void> {
    await this.call('prune images', {}, () => this.docker.pruneImages({ filters: { dangling: ['false'] } }));
  }

  private async startExec(id: string, options: ExecOptions) {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: options.cmd,
      User: options.user,
      Env: options.env,
      WorkingDir: options.workingDir,
      AttachStdin: options.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined })) as NodeJS.ReadWriteStream & Readable;
    const output = stream.pipe(new ExecOutputDemux());
    stream.on('error', (error: Error) => output.destroy(error));
    if (options.stdin !== undefined) {
      stream.write(options.stdin);
      // Half-close so the process sees EOF on stdin while its output keeps flowing.
      (stream as unknown as { end(): void }).end();
    }
    const exited = new Promise<number>((resolve, reject) => {
      output.on('finish', () => {
        exec.inspect().then((info) => resolve(info.ExitCode ?? -1), reject);
      });
      output.on('error', reject);
    });
    return { exec, output, exited };
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    return this.call('exec', { id, cmd: options.cmd[0] }, async () => {
      const { output, exited } = await this.startExec(id, options);
      const { bytes } = await readCapped(output, EXEC_OUTPUT_LIMIT_BYTES);
      return { exitCode: await exited, output: bytes.toString('utf8') };
    });
  }

  async execStreaming(id: string, options: ExecOptions): Promise<StreamingExec> {
    return this.call('exec (streaming)', { id, cmd: options.cmd[0] }, async () => {
      const { exec, output, exited } = await this.startExec(id, options);
      return { id: exec.id, lines: textLines(output, options.onLongLine), exited };
    });
  }

  async execPid(execId: string): Promise<number> {
    const info = (await this.docker.getExec(execId).inspect()) as { Pid?: number; Running?: boolean };
    return info.Running ? (info.Pid ?? 0) : 0;
  }
}
