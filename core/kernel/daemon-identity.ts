import { EnvboxError } from './errors.js';

/** A range of subordinate ids, as a line of /etc/subuid or /etc/subgid gives it. */
export interface IdRange {
  start: number;
  count: number;
}

/** The non-root user a rootless daemon runs as, and the subordinate ids its user namespace maps. */
export interface RootlessIdentity {
  name: string;
  uid: number;
  gid: number;
  /** Its home: a rootless dockerd reads its config (certs.d included) from `$HOME/.config/docker`. */
  home: string;
  subuid: IdRange;
  subgid: IdRange;
}

/**
 * Who the managed daemon runs as, and so where the workspace's ids land in the outer container:
 * `ctx.daemon` in preflight, preDaemon, daemonLaunch, prePull and containerSpec. The core starts from userns-remap (`rootless: null`);
 * a plugin that runs the daemon as another user publishes it in the `daemonIdentity` hook.
 */
export interface DaemonIdentity {
  /** null: dockerd runs as root with --userns-remap, and workspace id n is outer id `idOffset + n`. */
  readonly rootless: Readonly<RootlessIdentity> | null;
  /** ENVBOX_ID_OFFSET: the outer id of the workspace's root under userns-remap. */
  readonly idOffset: number;
}

/**
 * Where an id of the workspace lands in the outer container. Rootless: the inner daemon's root is
 * the rootless user itself and ids 1..count-1 are the subordinate range (newuidmap's layout), so
 * inner root -> uid, inner n -> start + n - 1. Rootful (userns-remap): inner n -> offset + n.
 */
export function outerId(innerId: number, daemon: DaemonIdentity, kind: 'uid' | 'gid'): number {
  const identity = daemon.rootless;
  if (!identity) return daemon.idOffset + innerId;
  if (innerId === 0) return kind === 'uid' ? identity.uid : identity.gid;
  const range = kind === 'uid' ? identity.subuid : identity.subgid;
  if (innerId > range.count) {
    throw new EnvboxError(`the workspace ${kind} ${innerId} is outside the rootless user's subordinate range (${range.start}, ${range.count} ids)`,
      `Give ${identity.name} a larger range in /etc/sub${kind}, or use an image whose user has a smaller id.`);
  }
  return range.start + innerId - 1;
}
