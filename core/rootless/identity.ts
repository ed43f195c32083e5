import { EnvboxError } from '../errors.js';
import type { HostView } from '../host/host.js';
import { idOffset, rootless, rootlessUser } from '../inputs/core-inputs.js';
import type { OptionValues } from '../inputs/options.js';

export interface IdRange {
  start: number;
  count: number;
}

/** The non-root user the rootless dockerd runs as, and the subordinate ids its user namespace maps. */
export interface RootlessIdentity {
  name: string;
  uid: number;
  gid: number;
  home: string;
  subuid: IdRange;
  subgid: IdRange;
}

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

/**
 * Where an id of the workspace lands in the outer container. Rootless: the inner daemon's root is
 * the rootless user itself and ids 1..count-1 are the subordinate range (newuidmap's layout), so
 * inner root -> uid, inner n -> start + n - 1. Rootful (userns-remap): inner n -> offset + n.
 */
export function outerId(innerId: number, mapping: IdMapping, kind: 'uid' | 'gid'): number {
  const identity = mapping.rootless;
  if (!identity) return mapping.idOffset + innerId;
  if (innerId === 0) return kind === 'uid' ? identity.uid : identity.gid;
  const range = kind === 'uid' ? identity.subuid : identity.subgid;
  if (innerId > range.count) {
    throw new EnvboxError(`the workspace ${kind} ${innerId} is outside the rootless user's subordinate range (${range.start}, ${range.count} ids)`,
      `Give ${identity.name} a larger range in /etc/sub${kind}, or use an image whose user has a smaller id.`);
  }
  return range.start + innerId - 1;
}

export interface IdMapping {
  rootless: RootlessIdentity | null;
  idOffset: number;
}

/** How the workspace's ids map to the outer container's, in the mode the inputs ask for. */
export async function workspaceIdMapping(options: OptionValues, host: HostView): Promise<IdMapping> {
  const identity = options.get(rootless) ? await readRootlessIdentity(host, options.get(rootlessUser)) : null;
  return { rootless: identity, idOffset: options.get(idOffset) };
}
