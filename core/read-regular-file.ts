import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why a path was not read: a FIFO or a device would block or never end, and a huge file costs memory. */
export type NotReadable = { problem: string };

const KINDS: [string, (s: import('node:fs').Stats) => boolean][] = [
  ['a FIFO', (s) => s.isFIFO()], ['a character device', (s) => s.isCharacterDevice()], ['a block device', (s) => s.isBlockDevice()],
  ['a socket', (s) => s.isSocket()], ['a directory', (s) => s.isDirectory()],
];

/**
 * Reads a regular file named by an admin or a user without ever blocking the event loop: it is
 * opened with O_NONBLOCK (opening a FIFO with no writer then returns at once), checked with fstat
 * on that same descriptor to be a regular file, and read up to `maxBytes`. Anything else answers
 * with the problem, for a warning; a missing file answers null. Links are followed (a Kubernetes
 * secret's files are links); `noFollow` refuses them, for places a workspace user can write.
 */
export async function readRegularFile(path: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<string | NotReadable | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (options.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') return { problem: 'is a symbolic link, which is not followed here' };
    return { problem: (error as Error).message };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: `is ${KINDS.find(([, is]) => is(stat))?.[0] ?? 'not a regular file'}, not a regular file; skipped` };
    if (stat.size > maxBytes) return { problem: `is ${stat.size} bytes, more than the ${maxBytes} read here; skipped` };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    // A file that grows while it is read is cut off at the limit, never read without end.
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { problem: `grew past ${maxBytes} bytes while it was read; skipped` };
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    return { problem: (error as Error).message };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export function isNotReadable(result: string | NotReadable | null): result is NotReadable {
  return typeof result === 'object' && result !== null;
}
