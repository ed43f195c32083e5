import type { HostView } from '../../kernel/host-view.js';
import type { Cidr } from '../../kernel/inputs/input-kinds.js';

interface DaemonPaths {
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
}

export interface DaemonArgvInput {
  paths: DaemonPaths;
  bridge: Cidr;
  /** null: no --userns-remap (a daemon run as a non-root user is in a user namespace already). */
  usernsUser: string | null;
  /** null: the link is missing, so dockerd keeps its default MTU. */
  mtu: number | null;
  /** Restart after a full disk: vfs on the fallback data root, since overlay2 fails on overlay. */
  fallbackDataRoot?: string;
  /**
   * CODER_DEBUG. Only then is dockerd at debug level: there it logs every request body, and a
   * ContainerCreate body holds the workspace's Env with the agent token.
   */
  debug: boolean;
}

export function dockerdArgv(input: DaemonArgvInput): string[] {
  const argv = [
    'dockerd',
    ...(input.debug ? ['--debug', '--log-level=debug'] : []),
    `--host=unix://${input.paths.socket}`,
    `--data-root=${input.fallbackDataRoot ?? input.paths.dataRoot}`,
    `--exec-root=${input.paths.execRoot}`,
    `--pidfile=${input.paths.pidfile}`,
    ...(input.usernsUser === null ? [] : [`--userns-remap=${input.usernsUser}`]),
    `--storage-driver=${input.fallbackDataRoot ? 'vfs' : 'overlay2'}`,
    `--bip=${input.bridge.firstHost}/${input.bridge.prefix}`,
  ];
  if (input.mtu !== null) argv.push(`--mtu=${input.mtu}`);
  return argv;
}

/**
 * On cgroup v2, dockerd runs in a new cgroup namespace with /sys/fs/cgroup remounted and the
 * controllers delegated, so inner containers' cgroups sit under the pod's own cgroup (moby's dind
 * recipe, with a bounded retry). Not on v1, where this would fail and is not needed.
 */
const CGROUP2_NESTING = `
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  umount /sys/fs/cgroup || { echo "envbox: cannot unmount /sys/fs/cgroup" >&2; exit 1; }
  mount -t cgroup2 cgroup /sys/fs/cgroup || { echo "envbox: cannot mount cgroup2 on /sys/fs/cgroup" >&2; exit 1; }
  mkdir -p /sys/fs/cgroup/init || exit 1
  tries=0
  until { xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :; \\
          sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control; }; do
    tries=$((tries + 1))
    [ "$tries" -ge 100 ] && { echo "envbox: cannot enable cgroup.subtree_control after $tries tries" >&2; exit 1; }
  done
fi
exec "$0" "$@"
`.trim();

export async function usesCgroup2(host: HostView, cgroupRoot: string): Promise<boolean> {
  return (await host.stat(`${cgroupRoot}/cgroup.controllers`)) !== null;
}

/** The command actually spawned: dockerd itself, or dockerd behind the cgroup-v2 nesting wrapper. */
export function wrapForCgroup2(argv: string[]): string[] {
  const [program = 'dockerd', ...args] = argv;
  return ['unshare', '--cgroup', '/bin/sh', '-c', CGROUP2_NESTING, program, ...args];
}
