import { EnvboxError, type HostView, type IdRange, type RootlessIdentity } from 'envbox';

function passwdEntry(passwd: string, name: string): { uid: number; gid: number; home: string } | null {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 7) continue;
    return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
  }
  return null;
}

/** The first range of `name` (or of its numeric id) in /etc/subuid or /etc/subgid. */
export function subordinateRange(text: string, name: string, id: number): IdRange | null {
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if ((owner === name || owner === String(id)) && Number(count) > 0 && Number.isInteger(Number(start))) {
      return { start: Number(start), count: Number(count) };
    }
  }
  return null;
}

/** Reads the rootless user from the outer container's /etc/passwd, /etc/subuid and /etc/subgid. */
export async function readRootlessIdentity(host: HostView, name: string): Promise<RootlessIdentity> {
  const user = passwdEntry((await host.readFile('/etc/passwd')) ?? '', name);
  if (!user) {
    throw new EnvboxError(
      `ENVBOX_ROOTLESS needs the user "${name}" (ENVBOX_ROOTLESS_USER) in the outer container's /etc/passwd, and it is not there`,
      'Use the envbox image, which has the user envbox (uid 1001), or set ENVBOX_ROOTLESS_USER to a non-root user of your image.',
    );
  }
  if (user.uid === 0) {
    throw new EnvboxError(`ENVBOX_ROOTLESS runs dockerd as ENVBOX_ROOTLESS_USER, and "${name}" is root`, 'Name a non-root user, e.g. ENVBOX_ROOTLESS_USER=envbox.');
  }
  const subuid = subordinateRange((await host.readFile('/etc/subuid')) ?? '', name, user.uid);
  const subgid = subordinateRange((await host.readFile('/etc/subgid')) ?? '', name, user.gid);
  if (!subuid || !subgid) {
    const missing = [!subuid ? '/etc/subuid' : '', !subgid ? '/etc/subgid' : ''].filter(Boolean).join(' and ');
    throw new EnvboxError(
      `the rootless user "${name}" has no subordinate id range in ${missing}, so its user namespace could map only one id`,
      `Add a line such as "${name}:10000:55536" to /etc/subuid and /etc/subgid in the image (the envbox image has one).`,
    );
  }
  return { name, uid: user.uid, gid: user.gid, home: user.home, subuid, subgid };
}
