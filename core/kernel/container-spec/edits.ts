import type { ContainerCreateBody, DeviceMapping, HostConfig } from './types.js';

/**
 * Pure, idempotent edits of a ContainerCreate body. Each returns a new body and never mutates its
 * input, so a tap that applies the same edit twice changes nothing the second time.
 *
 * The merge rule of every field, in one place (as devcontainers' mergeConfiguration):
 *
 * | Field                      | Keyed by             | A second value for the same key                                   |
 * |----------------------------|----------------------|-------------------------------------------------------------------|
 * | HostConfig.Binds           | target               | replaces the first and moves to the end (the mount order)         |
 * | HostConfig.Devices         | PathInContainer      | replaces the first and moves to the end                           |
 * | HostConfig.DeviceCgroupRules | the rule           | is not added again (a set)                                         |
 * | HostConfig.ExtraHosts      | host name            | replaces the first in place                                        |
 * | Env                        | variable name        | replaces the first in place; stale duplicates go                  |
 * | Labels                     | label name           | replaces the first                                                 |
 * | other HostConfig fields    | the field            | replaces the first (withHostConfig)                                |
 *
 * With `{ ifAbsent: true }` the first value wins instead: the edit changes nothing when the key
 * is already there (the gpu plugin never replaces a bind the user made for the same target).
 */
export interface MergeOptions {
  /** Keep an existing entry for the same key instead of replacing it. */
  ifAbsent?: boolean;
}

type Order = 'move-to-end' | 'in-place';

/** The one implementation of the keyed-list rules above. */
function mergeKeyed<T>(list: readonly T[], entry: T, keyOf: (item: T) => string, order: Order, options: MergeOptions = {}): readonly T[] {
  const key = keyOf(entry);
  const index = list.findIndex((item) => keyOf(item) === key);
  if (index === -1) return [...list, entry];
  if (options.ifAbsent) return list;
  if (order === 'move-to-end') return [...list.filter((item) => keyOf(item) !== key), entry];
  // A stale duplicate later in the list could win inside the container, so it goes.
  return list.flatMap((item, i) => (i === index ? [entry] : keyOf(item) === key ? [] : [item]));
}

function withHostList<K extends 'Binds' | 'Devices' | 'DeviceCgroupRules' | 'ExtraHosts' | 'CapAdd'>(
  body: ContainerCreateBody, field: K, next: HostConfig[K],
): ContainerCreateBody {
  if (next === body.HostConfig[field]) return body;
  return { ...body, HostConfig: { ...body.HostConfig, [field]: next } };
}

export interface Bind {
  source: string;
  target: string;
  readOnly?: boolean;
}

export function formatBind(bind: Bind): string {
  return `${bind.source}:${bind.target}${bind.readOnly ? ':ro' : ''}`;
}

export function parseBind(raw: string): Bind {
  const [source = '', target = '', mode] = raw.split(':');
  return { source, target, readOnly: mode?.split(',').includes('ro') ?? false };
}

const bindTarget = (raw: string) => parseBind(raw).target;

/** Adds a bind keyed by its target: a later bind for the same target replaces the earlier one (unless `ifAbsent`). */
export function withBind(body: ContainerCreateBody, bind: Bind, options?: MergeOptions): ContainerCreateBody {
  return withHostList(body, 'Binds', mergeKeyed(body.HostConfig.Binds ?? [], formatBind(bind), bindTarget, 'move-to-end', options));
}

/** True when some bind already mounts over `target`. */
export function hasBind(body: ContainerCreateBody, target: string): boolean {
  return (body.HostConfig.Binds ?? []).some((b) => bindTarget(b) === target);
}

/** Adds a device keyed by its path in the container; the later mapping wins (unless `ifAbsent`). */
export function withDevice(body: ContainerCreateBody, device: DeviceMapping, options?: MergeOptions): ContainerCreateBody {
  return withHostList(body, 'Devices', mergeKeyed(body.HostConfig.Devices ?? [], { ...device }, (d) => d.PathInContainer, 'move-to-end', options));
}

/** Adds a device cgroup rule such as `c 10:229 rwm`, once. */
export function withDeviceCgroupRule(body: ContainerCreateBody, rule: string): ContainerCreateBody {
  return withHostList(body, 'DeviceCgroupRules', mergeKeyed(body.HostConfig.DeviceCgroupRules ?? [], rule, (r) => r, 'in-place', { ifAbsent: true }));
}

/** Adds a capability (`SYS_ADMIN`), once: capabilities are a union. */
export function withCapability(body: ContainerCreateBody, capability: string): ContainerCreateBody {
  return withHostList(body, 'CapAdd', mergeKeyed(body.HostConfig.CapAdd ?? [], capability, (c) => c, 'in-place', { ifAbsent: true }));
}

/** Adds `name:address` to the container's /etc/hosts, keyed by name (`host.docker.internal:host-gateway`). */
export function withExtraHost(body: ContainerCreateBody, name: string, address: string, options?: MergeOptions): ContainerCreateBody {
  const hostName = (entry: string) => entry.slice(0, entry.indexOf(':') === -1 ? entry.length : entry.indexOf(':'));
  return withHostList(body, 'ExtraHosts', mergeKeyed(body.HostConfig.ExtraHosts ?? [], `${name}:${address}`, hostName, 'in-place', options));
}

/** Sets `NAME=value`; a later value for the same name replaces the earlier one in place (unless `ifAbsent`). */
export function withEnv(body: ContainerCreateBody, name: string, value: string, options?: MergeOptions): ContainerCreateBody {
  const env = mergeKeyed(body.Env ?? [], `${name}=${value}`, envName, 'in-place', options);
  return env === body.Env ? body : { ...body, Env: env };
}

/**
 * Sets many `NAME=value` at once, by withEnv's rules (a later value replaces an earlier one in place,
 * stale duplicates go), in one pass: a loop of withEnv copies the list for each name, which at
 * thousands of names (CODER_INNER_ENVS=KUBERNETES_* on a big cluster) costs a noticeable part of a start.
 */
export function withEnvs(body: ContainerCreateBody, entries: Iterable<readonly [string, string]>): ContainerCreateBody {
  const values = new Map<string, string>();
  for (const [name, value] of entries) values.set(name, value);
  if (values.size === 0) return body;
  const placed = new Set<string>();
  const env: string[] = [];
  for (const entry of body.Env ?? []) {
    const name = envName(entry);
    if (!values.has(name)) env.push(entry);
    else if (!placed.has(name)) {
      placed.add(name);
      env.push(`${name}=${values.get(name)}`);
    }
  }
  for (const [name, value] of values) if (!placed.has(name)) env.push(`${name}=${value}`);
  return { ...body, Env: env };
}

export function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : entry.slice(0, eq);
}

/** Sets a container label; a later value for the same name wins (unless `ifAbsent`). */
export function withLabel(body: ContainerCreateBody, name: string, value: string, options?: MergeOptions): ContainerCreateBody {
  const labels = body.Labels ?? {};
  if (labels[name] === value || (options?.ifAbsent && name in labels)) return body;
  return { ...body, Labels: { ...labels, [name]: value } };
}

/** Sets HostConfig fields; each replaces the earlier value. */
export function withHostConfig(body: ContainerCreateBody, fields: Partial<HostConfig>): ContainerCreateBody {
  return { ...body, HostConfig: { ...body.HostConfig, ...fields } };
}
