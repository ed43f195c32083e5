import { posix } from 'node:path';
import type { DockerClient } from '../kernel/docker-client.js';
import { EnvboxError } from '../kernel/errors.js';
import { hostIdProblem, type ImageFacts } from '../kernel/image-facts.js';
import { scanLines, type LineLimits } from './read-lines.js';

interface PasswdEntry {
  uid: number;
  gid: number;
  home: string;
}

/**
 * An image may ship any /etc/passwd, hostile ones included. 100,000 users take about 6 MiB; past
 * 32 MiB envbox stops reading, and lines over 4 KiB are skipped, so the read costs bounded memory and time.
 */
export const PASSWD_LIMITS: LineLimits = { maxBytes: 32 * 2 ** 20, maxLineBytes: 4096 };
const OS_RELEASE_LIMITS: LineLimits = { maxBytes: 64 * 1024, maxLineBytes: 4096 };

/**
 * One passwd(5) line, `name:password:uid:gid:gecos:home:shell`: the entry when it is the user's,
 * 'invalid' when it is the user's but unusable, undefined when it is not the user's.
 */
function passwdLine(line: string, username: string): PasswdEntry | 'invalid' | undefined {
  const fields = line.split(':');
  if (fields[0] !== username || fields.length < 7) return undefined;
  // Number('') is 0: an empty field must not turn the user into root.
  if (!/^\d+$/.test(fields[2] ?? '') || !/^\d+$/.test(fields[3] ?? '')) return 'invalid';
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] || '/' };
}

/** The user's entry in passwd text, or null. */
export function findPasswdEntry(passwd: string, username: string): PasswdEntry | null {
  for (const line of passwd.split('\n')) {
    const entry = passwdLine(line, username);
    if (entry !== undefined) return entry === 'invalid' ? null : entry;
  }
  return null;
}

/**
 * The user's entry, read from a stream line by line and never whole: reading stops at the user's
 * line or at the cap, and 'capped' says the user was not in the part that was read.
 */
export async function findPasswdEntryInStream(passwd: AsyncIterable<Buffer>, username: string, limits = PASSWD_LIMITS): Promise<PasswdEntry | null | 'capped'> {
  let found: PasswdEntry | 'invalid' | undefined;
  const end = await scanLines(passwd, limits, (line) => (found = passwdLine(line, username)) !== undefined, `${username}:`);
  if (found !== undefined) return found === 'invalid' ? null : found;
  return end === 'capped' ? 'capped' : null;
}

function osReleaseIdLine(line: string): string | undefined {
  return line.startsWith('ID=') ? line.slice(3).trim().replace(/^["']|["']$/g, '') : undefined;
}

/** The ID= field of os-release(5), unquoted; `linux` when absent, as os-release specifies. */
export function osReleaseId(text: string | null): string {
  const line = text?.split('\n').find((l) => l.startsWith('ID='));
  return (line && osReleaseIdLine(line)) || 'linux';
}

async function osReleaseIdInStream(osRelease: AsyncIterable<Buffer> | null): Promise<string> {
  if (!osRelease) return 'linux';
  let id: string | undefined;
  await scanLines(osRelease, OS_RELEASE_LIMITS, (line) => (id = osReleaseIdLine(line)) !== undefined, 'ID=');
  return id || 'linux';
}

const OS_RELEASE = '/etc/os-release';

/**
 * /etc/os-release is usually a symlink (to ../usr/lib/os-release). A stat, which dockerd answers in
 * about 1 ms, finds its target, so the file costs one read: each read mounts the container's root,
 * about 45 ms, and dockerd does one at a time per container.
 */
async function openOsRelease(docker: DockerClient, id: string): Promise<AsyncIterable<Buffer> | null> {
  const stat = await docker.statPath(id, OS_RELEASE);
  if (stat === null) return null;
  const target = stat.linkTarget === '' ? OS_RELEASE : posix.resolve(posix.dirname(OS_RELEASE), stat.linkTarget);
  return docker.openFile(id, target);
}

/**
 * Reads the facts from the image without starting a container: create one (it is never started),
 * read /etc/passwd and /etc/os-release through the archive API, stat /sbin/init, then remove it.
 */
export async function resolveImageFacts(docker: DockerClient, image: string, username: string, runtime: string): Promise<ImageFacts> {
  const { facts, removed } = await probeImageFacts(docker, image, username, runtime);
  await removed;
  return facts;
}

/**
 * resolveImageFacts, but the facts come as soon as they are read: the probe's removal (a few tens of
 * ms in dockerd) goes on while the workspace is created, and `removed` (which never rejects) says
 * when it is over.
 */
export async function probeImageFacts(docker: DockerClient, image: string, username: string, runtime: string): Promise<{ facts: ImageFacts; removed: Promise<void> }> {
  const probeName = `envbox-facts-${process.pid}-${Date.now()}`;
  const id = await docker.createContainer(probeName, {
    Image: image,
    Entrypoint: ['/bin/true'],
    Cmd: [],
    // The probe is never started and never networked, so it cannot take the bridge's only address.
    NetworkDisabled: true,
    HostConfig: { Runtime: runtime, NetworkMode: 'none' },
  });
  let facts: ImageFacts | undefined;
  let removed: Promise<void>;
  try {
    const [passwd, osRelease, init] = await Promise.all([
      docker.openFile(id, '/etc/passwd'),
      openOsRelease(docker, id).then(osReleaseIdInStream),
      docker.statPath(id, '/sbin/init'),
    ]);
    if (passwd === null) throw new EnvboxError(`the image ${image} has no /etc/passwd, so the user "${username}" cannot be found`, 'Use an image with the user in /etc/passwd, or set CODER_INNER_USERNAME to a user it has.');
    const entry = await findPasswdEntryInStream(passwd, username);
    if (entry === 'capped') {
      throw new EnvboxError(
        `the user "${username}" (CODER_INNER_USERNAME) is not in the first ${PASSWD_LIMITS.maxBytes / 2 ** 20} MiB of /etc/passwd of the image ${image}, and envbox reads no further`,
        'Put the user near the top of /etc/passwd in the image, or set CODER_INNER_USERNAME to a user listed early (for example root).',
      );
    }
    if (!entry) {
      throw new EnvboxError(
        `the user "${username}" (CODER_INNER_USERNAME) is not in /etc/passwd of the image ${image}`,
        'Set CODER_INNER_USERNAME to a user that the image has (for example root), or add the user to the image.',
      );
    }
    facts = { ...entry, hasInit: init !== null, osReleaseId: osRelease };
  } finally {
    removed = docker.removeContainer(id).catch(() => undefined);
    if (!facts) await removed;
  }
  return { facts, removed };
}

/** Facts read from an image are checked like ENVBOX_IMAGE_FACTS: their ids must exist on the host once shifted. */
export function assertHostIds(facts: ImageFacts, offset: number, image: string, username: string): void {
  const problem = hostIdProblem(facts, offset);
  if (problem === null) return;
  throw new EnvboxError(
    `the user "${username}" (CODER_INNER_USERNAME) of the image ${image} cannot be mapped: ${problem}`,
    'Use a user with a smaller uid and gid (or a smaller ENVBOX_ID_OFFSET, matching /etc/subuid and /etc/subgid).',
  );
}
