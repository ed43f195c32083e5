/** Why a daemon could not start, in its own words, and what a person does about it. */
export interface DaemonFailure {
  /** The daemon's own line that says why (logrus's msg="..." unwrapped), scrubbed as all its output is. */
  reason: string;
  fix: string;
}

interface FailureContext {
  /** dockerd's --data-root, which the fixes name. */
  dataRoot: string;
}

interface Rule {
  pattern: RegExp;
  fix: (ctx: FailureContext) => string;
}

/** The volume a data root needs; the rootless root sits one level below /var/lib/docker, where the examples mount it. */
function volumeAt(dataRoot: string): string {
  const holder = dataRoot.startsWith('/var/lib/docker/') ? ' (or at /var/lib/docker, which holds it)' : '';
  return `mount a volume (an emptyDir or a PersistentVolumeClaim) at ${dataRoot}${holder}`;
}

/**
 * Ordered, narrowest first. Each pattern is a cause dockerd (or rootlesskit in front of it) has
 * been seen to give; overlay2's words differ between kernels and between rootful and rootless.
 */
const RULES: readonly Rule[] = [
  {
    // Rootless, nothing mounted at /var/lib/docker: the image's own /var/lib/docker (0710 root) bars the daemon's user.
    pattern: /unable to get the full path to root|failed to canonicali[sz]e path for[^\n]*permission denied/i,
    fix: ({ dataRoot }) => `The daemon's user cannot reach its data root ${dataRoot} (a directory above it is closed to that user, as the image's own /var/lib/docker is when nothing is mounted there): ${volumeAt(dataRoot)}.`,
  },
  {
    pattern: /failed to mount overlay|'?overlay2'? is not supported over|backing file system is unsupported for this graph driver|error initializing graphdriver: driver not supported/i,
    fix: ({ dataRoot }) => `dockerd's data root ${dataRoot} is on a filesystem that overlay2 cannot use (the container's own overlay root filesystem, when nothing is mounted there): ${volumeAt(dataRoot)}.`,
  },
  {
    pattern: /no space left on device|ENOSPC/i,
    fix: ({ dataRoot }) => `The filesystem of dockerd's data root ${dataRoot} is full: free space on the volume mounted there (old images and build caches fill it) or give it more room.`,
  },
  {
    pattern: /no sub[ug]id ranges found|can't create ID mappings|failed to setup UID\/GID map|new[ug]idmap[^\n]*(failed|not allowed|permission denied)/i,
    fix: () => 'The daemon\'s user has no usable range of subordinate ids: /etc/subuid and /etc/subgid in the envbox image need a line for it (for example coder:100000:65536), and newuidmap/newgidmap must be installed setuid root.',
  },
  {
    pattern: /iptables failed|failed to create NAT chain|iptables[^\n]*(permission denied|not found|can't initialize|could not fetch rule set)|Failed to initialize nft/i,
    fix: () => 'dockerd could not set up its iptables rules: run the pod privileged (securityContext.privileged: true), on a node whose kernel has the iptables nat table (the ip_tables and iptable_nat modules, or nf_tables).',
  },
  {
    pattern: /pid file found, ensure docker is not running|process with PID \d+ is still running/i,
    fix: () => 'Another dockerd already runs with the same pidfile in this pod: stop it, or point ENVBOX_DOCKER_PIDFILE and ENVBOX_DOCKER_SOCKET elsewhere.',
  },
];

/** `time="..." level=error msg="failed to mount overlay: invalid argument" storage-driver=overlay2` -> the msg, with its fields. */
function readable(line: string): string {
  const match = /\blevel=\w+ msg="((?:[^"\\]|\\.)*)"(.*)$/.exec(line);
  if (!match) return line.trim();
  const fields = (match[2] ?? '').trim();
  return `${(match[1] ?? '').replace(/\\"/g, '"')}${fields ? ` (${fields})` : ''}`;
}

/**
 * Only lines that report an error: dockerd's debug lines mention iptables, subuids and overlay in passing.
 * Its fatal line is plain text, without logrus's fields.
 */
function isErrorLine(line: string): boolean {
  return /\blevel=(error|fatal)\b/.test(line) || !/\blevel=\w+/.test(line);
}

/** rootlesskit's lines that only say that the command it wraps failed, never why. */
export function isWrapperLine(line: string): boolean {
  return /^\[rootlesskit:(parent|child ?)\] error: (command \[.*\] exited|child exited)/.test(line);
}

/**
 * The first known cause in a daemon's output (the first, since what follows it is the daemon
 * shutting down because of it), or nothing when the output names none.
 */
export function explainDaemonFailure(lines: readonly string[], ctx: FailureContext): DaemonFailure | undefined {
  const errors = lines.filter((l) => isErrorLine(l) && !isWrapperLine(l));
  for (const rule of RULES) {
    const line = errors.find((l) => rule.pattern.test(l));
    if (line !== undefined) return { reason: readable(line), fix: rule.fix(ctx) };
  }
  return undefined;
}

/** dockerd's --data-root in an argv, behind any wrapper (setpriv, rootlesskit, the cgroup-v2 shell). */
export function dataRootOf(argv: readonly string[], fallback = '/var/lib/docker'): string {
  let found = fallback;
  argv.forEach((arg, i) => {
    if (arg.startsWith('--data-root=')) found = arg.slice('--data-root='.length);
    else if (arg === '--data-root' && argv[i + 1] !== undefined) found = argv[i + 1]!;
  });
  return found;
}
