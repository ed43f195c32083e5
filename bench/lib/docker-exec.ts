import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `docker exec` through dockerode: runs `cmd` in a started container and waits for its exit code. */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[], options: { user?: string } = {}): Promise<ExecOutput> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(options.user ? { User: options.user } : {}) });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
