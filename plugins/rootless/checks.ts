import { EnvboxError, type HostView, type IdRange, type RootlessIdentity } from 'envbox';

/** One unmet requirement of rootless mode: what is wrong, and the fix, in one paragraph. */
interface RootlessProblem {
  requirement: 'tun' | 'seccomp' | 'proc' | 'newuidmap' | 'id-range';
  message: string;
  fix: string;
}

const TUN = { path: '/dev/net/tun', major: 10, minor: 200 };

async function tunProblem(host: HostView): Promise<RootlessProblem | null> {
  const node = await host.stat(TUN.path);
  if (node?.kind === 'char' && node.major === TUN.major && node.minor === TUN.minor) return null;
  return {
    requirement: 'tun',
    message: `${TUN.path} is ${node ? 'not the TUN device (char 10:200)' : 'missing'}, and slirp4netns needs it to give the rootless dockerd a network`,
    fix: 'Pass the device to the envbox container: on Kubernetes from a device plugin (see examples/kubernetes/unprivileged.yaml), with docker `--device /dev/net/tun`.',
  };
}

/** `Seccomp: 0` in /proc/self/status is no filter; 2 is a filter (the runtime's default profile). */
async function seccompProblem(host: HostView): Promise<RootlessProblem | null> {
  const status = (await host.readFile('/proc/self/status')) ?? '';
  const mode = /^Seccomp:\s*(\d+)/m.exec(status)?.[1];
  if (mode === undefined || mode === '0') return null;
  return {
    requirement: 'seccomp',
    message: `envbox runs under a seccomp filter (Seccomp: ${mode} in /proc/self/status), which refuses the unshare and mount calls that rootlesskit and the inner containers make`,
    fix: 'Run the envbox container unconfined: on Kubernetes `securityContext.seccompProfile.type: Unconfined`, with docker `--security-opt seccomp=unconfined`.',
  };
}

/**
 * A runtime masks /proc by mounting over parts of it (/proc/kcore, /proc/sys read-only...); the
 * kernel then refuses a fresh proc mount in a new user namespace, so no container could start.
 */
async function procProblem(host: HostView): Promise<RootlessProblem | null> {
  const masked = (await host.mounts()).map((m) => m.target).filter((t) => t.startsWith('/proc/') && !t.startsWith('/proc/sys/fs/binfmt_misc'));
  if (masked.length === 0) return null;
  return {
    requirement: 'proc',
    message: `/proc is masked (${masked.slice(0, 3).join(', ')}${masked.length > 3 ? ', ...' : ''} are mounted over), so containers would fail with "error mounting proc: operation not permitted"`,
    fix: 'Unmask it: on Kubernetes `securityContext.procMount: Unmasked` (needs hostUsers: false), with docker `--security-opt systempaths=unconfined`.',
  };
}

/** Inside an unprivileged container, setuid-root newuidmap cannot write uid_map; file capabilities can. */
async function idmapProblem(host: HostView, program: 'newuidmap' | 'newgidmap'): Promise<RootlessProblem | null> {
  const path = `/usr/bin/${program}`;
  const cap = program === 'newuidmap' ? 'cap_setuid' : 'cap_setgid';
  const node = await host.stat(path);
  const fix = `Install uidmap, then \`setcap ${cap}+ep ${path}\` and \`chmod u-s ${path}\` in the image (the envbox image does this).`;
  if (node === null) return { requirement: 'newuidmap', message: `${path} is missing, and rootlesskit needs it to map the subordinate ids`, fix };
  const caps = (await host.fileCapabilities(path)) ?? '';
  if (caps.includes(cap)) return null;
  const setuid = (node.mode & 0o4000) !== 0;
  return {
    requirement: 'newuidmap',
    message: `${path} ${setuid ? 'is setuid-root without' : 'lacks'} the ${cap} file capability, and in an unprivileged pod it fails with "write to ${program === 'newuidmap' ? 'uid' : 'gid'}_map failed: Operation not permitted"`,
    fix,
  };
}

/** The ids this container's user namespace maps (`inside outside count` lines); null outside any (no file). */
function mappedRanges(text: string | null): IdRange[] | null {
  if (text === null) return null;
  return text.split('\n').map((line) => line.trim().split(/\s+/).map(Number)).filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, , count]) => ({ start: inside!, count: count! }));
}

function covers(ranges: IdRange[], want: IdRange): boolean {
  return ranges.some((r) => want.start >= r.start && want.start + want.count <= r.start + r.count);
}

/**
 * newuidmap can only hand out ids this container has: with hostUsers: false (or a userns-remapped
 * Docker) that is 65536 ids from 0, so a range like 100000-165535 cannot be mapped.
 */
async function idRangeProblem(host: HostView, identity: RootlessIdentity): Promise<RootlessProblem | null> {
  for (const kind of ['uid', 'gid'] as const) {
    const ranges = mappedRanges(await host.readFile(`/proc/self/${kind}_map`));
    const range = kind === 'uid' ? identity.subuid : identity.subgid;
    const own = kind === 'uid' ? identity.uid : identity.gid;
    if (ranges === null || (covers(ranges, range) && covers(ranges, { start: own, count: 1 }))) continue;
    const mapped = ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ');
    return {
      requirement: 'id-range',
      message: `the subordinate ${kind}s of ${identity.name} (${range.start}-${range.start + range.count - 1}, /etc/sub${kind}) are not all mapped in this container's user namespace (it maps ${mapped})`,
      fix: `Give ${identity.name} a range inside the mapped ids in /etc/subuid and /etc/subgid (the envbox image's envbox:10000:55536 fits the 65536 ids of a hostUsers: false pod), or set ENVBOX_ROOTLESS_USER to such a user.`,
    };
  }
  return null;
}

/** Every unmet requirement, in the order a user should fix them. */
export async function rootlessProblems(host: HostView, identity: RootlessIdentity): Promise<RootlessProblem[]> {
  const found = await Promise.all([
    tunProblem(host), seccompProblem(host), procProblem(host), idmapProblem(host, 'newuidmap'), idmapProblem(host, 'newgidmap'), idRangeProblem(host, identity),
  ]);
  return found.filter((p): p is RootlessProblem => p !== null);
}

/** Fails fast (exit 1) with one paragraph per unmet requirement. */
export async function assertRootlessRequirements(host: HostView, identity: RootlessIdentity): Promise<void> {
  const problems = await rootlessProblems(host, identity);
  if (problems.length === 0) return;
  const [first, ...rest] = problems;
  const more = rest.map((p) => `Also: ${p.message}. ${p.fix}`).join(' ');
  throw new EnvboxError(`ENVBOX_ROOTLESS cannot start: ${first!.message}`, [first!.fix, more].filter(Boolean).join(' '));
}
