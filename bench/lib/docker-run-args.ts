/** The ContainerCreate body fields this translation knows; anything else is an error, never dropped. */
export interface CreateBody {
  Image: string;
  User?: string;
  Hostname?: string;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  Tty?: boolean;
  HostConfig?: Record<string, unknown>;
  [field: string]: unknown;
}

const TOP_LEVEL = new Set(['Image', 'User', 'Hostname', 'WorkingDir', 'Entrypoint', 'Cmd', 'Env', 'Tty', 'HostConfig']);

const strings = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`${field} is not a list of strings`);
  return value as string[];
};

/** HostConfig field → `docker run` flags. */
const HOST_CONFIG: Record<string, (value: unknown) => string[]> = {
  Runtime: (v) => ['--runtime', String(v)],
  AutoRemove: (v) => (v ? ['--rm'] : []),
  ExtraHosts: (v) => strings(v, 'ExtraHosts').flatMap((h) => ['--add-host', h]),
  Binds: (v) => strings(v, 'Binds').flatMap((b) => ['-v', b]),
  DeviceCgroupRules: (v) => strings(v, 'DeviceCgroupRules').flatMap((r) => ['--device-cgroup-rule', r]),
  Devices: (v) => (v as { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[])
    .flatMap((d) => ['--device', `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`]),
  Memory: (v) => (Number(v) > 0 ? ['--memory', String(v)] : []),
  CpuPeriod: (v) => (Number(v) > 0 ? ['--cpu-period', String(v)] : []),
  CpuQuota: (v) => (Number(v) > 0 ? ['--cpu-quota', String(v)] : []),
  NetworkMode: (v) => ['--network', String(v)],
};

/**
 * The `docker run` arguments (after `run`) that create the container `body` describes, as a person
 * would type them. A field it cannot express throws, so the by-hand baseline never quietly does less.
 */
export function dockerRunArgs(name: string, body: CreateBody): string[] {
  const unknown = Object.keys(body).filter((k) => !TOP_LEVEL.has(k));
  if (unknown.length > 0) throw new Error(`dockerRunArgs: no docker run flag for ${unknown.join(', ')}`);
  const args = ['--name', name];
  if (body.User) args.push('--user', body.User);
  if (body.Hostname) args.push('--hostname', body.Hostname);
  if (body.WorkingDir) args.push('--workdir', body.WorkingDir);
  if (body.Tty) args.push('--tty');
  for (const entry of body.Env ?? []) args.push('--env', entry);
  for (const [field, value] of Object.entries(body.HostConfig ?? {})) {
    if (value === undefined) continue;
    const flags = HOST_CONFIG[field];
    if (!flags) throw new Error(`dockerRunArgs: no docker run flag for HostConfig.${field}`);
    args.push(...flags(value));
  }
  // --entrypoint takes one word; the rest of an entrypoint goes before the command.
  const [program, ...entryArgs] = body.Entrypoint ?? [];
  if (body.Entrypoint) args.push('--entrypoint', program ?? '');
  args.push(body.Image, ...entryArgs, ...(body.Cmd ?? []));
  return args;
}
