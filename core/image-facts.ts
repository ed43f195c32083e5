import type { DockerClient } from './docker/client.js';
import { EnvboxError } from './errors.js';
import { hostIdProblem, type ImageFacts } from './facts.js';

/** passwd(5): name:password:uid:gid:gecos:home:shell. */
export function findPasswdEntry(passwd: string, username: string): { uid: number; gid: number; home: string } | null {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== username || fields.length < 7) continue;
    // Number('') is 0: an empty field must not turn the user into root.
    if (!/^\d+$/.test(fields[2] ?? '') || !/^\d+$/.test(fields[3] ?? '')) return null;
    return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] || '/' };
  }
  return null;
}

/** The ID= field of os-release(5), unquoted; `linux` when absent, as os-release specifies. */
export function osReleaseId(text: string | null): string {
  const line = text?.split('\n').find((l) => l.startsWith('ID='));
  const id = line?.slice(3).trim().replace(/^["']|["']$/g, '');
  return id || 'linux';
}

/**
 * Reads the facts from the image without starting a container: create one (it is never started),
 * read /etc/passwd and /etc/os-release through the archive API, stat /sbin/init, then remove it.
 */
export async function resolveImageFacts(docker: DockerClient, image: string, username: string, runtime: string): Promise<ImageFacts> {
  const probeName = `envbox-facts-${process.pid}-${Date.now()}`;
  const id = await docker.createContainer(probeName, {
    Image: image,
    Entrypoint: ['/bin/true'],
    Cmd: [],
    // The probe is never started and never networked, so it cannot take the bridge's only address.
    NetworkDisabled: true,
    HostConfig: { Runtime: runtime, NetworkMode: 'none' },
  });
  try {
    const [passwd, osRelease, init] = await Promise.all([
      docker.readFile(id, '/etc/passwd'),
      docker.readFile(id, '/etc/os-release'),
      docker.statPath(id, '/sbin/init'),
    ]);
    if (passwd === null) throw new EnvboxError(`the image ${image} has no /etc/passwd, so the user "${username}" cannot be found`, 'Use an image with the user in /etc/passwd, or set CODER_INNER_USERNAME to a user it has.');
    const entry = findPasswdEntry(passwd.toString('utf8'), username);
    if (!entry) {
      throw new EnvboxError(
        `the user "${username}" (CODER_INNER_USERNAME) is not in /etc/passwd of the image ${image}`,
        'Set CODER_INNER_USERNAME to a user that the image has (for example root), or add the user to the image.',
      );
    }
    return { ...entry, hasInit: init !== null, osReleaseId: osReleaseId(osRelease?.toString('utf8') ?? null) };
  } finally {
    await docker.removeContainer(id).catch(() => undefined);
  }
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
