import { join } from 'node:path';
import { coreInputs, type ActionBody, type InputProblem, type OptionValues, type RootlessIdentity } from 'envbox';
import { rootlessDir } from './inputs.js';

const { dockerDataRoot, dockerExecRoot, dockerHost, dockerPidfile, dockerSocket, rootless, runtime } = coreInputs;

/** slirp4netns's own default when the link's MTU is unknown (as dockerd-rootless.sh). */
const SLIRP_DEFAULT_MTU = 65520;

/**
 * Rootless mode's values for inputs still at their rootful defaults: sysbox cannot run rootless,
 * the rootless user cannot create files in /var/run, and /var/lib/docker itself is never chowned.
 * A value the user set is kept.
 */
export function rootlessOptions(options: OptionValues): OptionValues {
  if (!options.get(rootless)) return options;
  const dir = options.get(rootlessDir);
  let next = options;
  if (options.get(runtime) === runtime.default) next = next.with(runtime, 'runc');
  if (options.get(dockerSocket) === dockerSocket.default) next = next.with(dockerSocket, join(dir, 'docker.sock'));
  if (options.get(dockerExecRoot) === dockerExecRoot.default) next = next.with(dockerExecRoot, join(dir, 'docker'));
  if (options.get(dockerPidfile) === dockerPidfile.default) next = next.with(dockerPidfile, join(dir, 'docker.pid'));
  // Still on the volume mounted at /var/lib/docker, in a subdir the rootless user may own: the
  // volume's root is a system dir that envbox never hands to anyone.
  if (options.get(dockerDataRoot) === dockerDataRoot.default) next = next.with(dockerDataRoot, join(dockerDataRoot.default!, 'rootless'));
  return next;
}

/**
 * rootlesskit in front of dockerd, with dockerd-rootless.sh's flags: slirp4netns for the network
 * (at the MTU of the outer link), /etc and /run copied up so the daemon may write there, and the
 * builtin port driver. The user can see and edit every flag in `preDaemon`.
 */
export function rootlesskitArgv(dockerd: readonly string[], input: { stateDir: string; mtu: number | null }): string[] {
  return [
    'rootlesskit',
    `--state-dir=${input.stateDir}`,
    '--net=slirp4netns',
    `--mtu=${input.mtu ?? SLIRP_DEFAULT_MTU}`,
    '--slirp4netns-sandbox=auto',
    '--slirp4netns-seccomp=auto',
    '--disable-host-loopback',
    '--port-driver=builtin',
    '--copy-up=/etc',
    '--copy-up=/run',
    '--propagation=rslave',
    ...dockerd,
  ];
}

/** What dockerd-rootless.sh expects around it: the user's home, and a runtime dir it owns. */
export function rootlessEnv(identity: RootlessIdentity, dir: string): Record<string, string> {
  return { HOME: identity.home, USER: identity.name, XDG_RUNTIME_DIR: dir };
}

/**
 * The command actually spawned: the rootless command line as the rootless user, with no groups of root's,
 * and without envbox's secret env vars. Every process of the rootless daemon (rootlesskit, slirp4netns,
 * dockerd) runs as that user, and so does root of each container it starts: a container started through
 * the socket the workspace gets (the rootless-docker plugin, plugins/rootless/docker-socket.ts) could read their /proc/<pid>/environ.
 */
export function asRootlessUser(argv: readonly string[], identity: RootlessIdentity, secretEnvNames: readonly string[] = []): string[] {
  const unset = secretEnvNames.length > 0 ? ['env', ...secretEnvNames.flatMap((name) => ['-u', name]), '--'] : [];
  return ['setpriv', `--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--init-groups', '--', ...unset, ...argv];
}

/** The dirs the rootless daemon writes, made and handed to its user before it starts. */
export function rootlessDirActions(identity: RootlessIdentity, dirs: readonly string[]): ActionBody[] {
  return [...new Set(dirs)].flatMap((path): ActionBody[] => [
    { kind: 'mkdir', path, mode: '0700' },
    { kind: 'chown', path, uid: identity.uid, gid: identity.gid },
  ]);
}

/** Combinations that cannot work rootless, refused before anything starts (exit 2). */
export function rootlessInputProblems(options: OptionValues): InputProblem[] {
  if (!options.get(rootless)) return [];
  const problems: InputProblem[] = [];
  if (options.get(dockerHost) !== undefined) {
    problems.push({
      variable: rootless.env,
      problem: `is true, but ${dockerHost.env} names an existing daemon, so envbox starts no daemon to run rootless`,
      example: `${rootless.env}=true without ${dockerHost.env} (or leave ${rootless.env} unset)`,
    });
  }
  if (options.get(runtime) === 'sysbox-runc') {
    problems.push({ variable: runtime.env, problem: 'is sysbox-runc, which cannot run under a rootless dockerd', example: `${runtime.env}=runc (the default with ${rootless.env}=true)` });
  }
  return problems;
}
