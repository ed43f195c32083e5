import type { HostView } from '../../core/host/host.js';
import type { RootlessIdentity } from '../../core/rootless/identity.js';

type LimitSupport = { enforced: true } | { enforced: false; reason: string };

/**
 * Whether a rootless dockerd can give the workspace its own CPU and memory limits. Only on cgroup v2,
 * and only when the cgroup is delegated to the rootless user (owned by it, as systemd's Delegate=yes
 * leaves it) with the cpu and memory controllers available. On v1 an unprivileged user gets no
 * cgroup of its own at all, and Docker ignores --memory there.
 */
export async function rootlessLimitSupport(host: HostView, cgroupRoot: string, identity: RootlessIdentity): Promise<LimitSupport> {
  const controllers = await host.readFile(`${cgroupRoot}/cgroup.controllers`);
  if (controllers === null) return { enforced: false, reason: 'the node uses cgroup v1, where a rootless dockerd cannot create cgroups for its containers' };
  const available = controllers.trim().split(/\s+/);
  const missing = ['cpu', 'memory'].filter((c) => !available.includes(c));
  if (missing.length > 0) return { enforced: false, reason: `the cgroup v2 controllers ${missing.join(' and ')} are not delegated to the envbox container (${cgroupRoot}/cgroup.controllers)` };
  const owner = (await host.stat(cgroupRoot))?.uid;
  if (owner !== identity.uid) {
    return { enforced: false, reason: `${cgroupRoot} is not delegated to the rootless user ${identity.name} (owned by uid ${owner ?? 'unknown'}, not ${identity.uid})` };
  }
  return { enforced: true };
}
