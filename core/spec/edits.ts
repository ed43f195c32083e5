import type { ContainerCreateBody, DeviceMapping } from './types.js';

/**
 * Pure, idempotent edits of a ContainerCreate body. Each returns a new body and never
 * mutates its input, so a tap that applies the same edit twice changes nothing the second time.
 */

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

/** Adds a bind keyed by its target: a later bind for the same target replaces the earlier one. */
export function withBind(body: ContainerCreateBody, bind: Bind): ContainerCreateBody {
  const others = (body.HostConfig.Binds ?? []).filter((b) => parseBind(b).target !== bind.target);
  return { ...body, HostConfig: { ...body.HostConfig, Binds: [...others, formatBind(bind)] } };
}

/** Adds a device keyed by its path in the container; the later mapping wins. */
export function withDevice(body: ContainerCreateBody, device: DeviceMapping): ContainerCreateBody {
  const others = (body.HostConfig.Devices ?? []).filter((d) => d.PathInContainer !== device.PathInContainer);
  return { ...body, HostConfig: { ...body.HostConfig, Devices: [...others, { ...device }] } };
}

/** Adds a device cgroup rule such as `c 10:229 rwm`, once. */
export function withDeviceCgroupRule(body: ContainerCreateBody, rule: string): ContainerCreateBody {
  const rules = body.HostConfig.DeviceCgroupRules ?? [];
  if (rules.includes(rule)) return body;
  return { ...body, HostConfig: { ...body.HostConfig, DeviceCgroupRules: [...rules, rule] } };
}

/** Sets `NAME=value`; a later value for the same name replaces the earlier one in place. */
export function withEnv(body: ContainerCreateBody, name: string, value: string): ContainerCreateBody {
  const env = body.Env ?? [];
  const entry = `${name}=${value}`;
  const index = env.findIndex((e) => envName(e) === name);
  if (index === -1) return { ...body, Env: [...env, entry] };
  // A stale duplicate later in the list could win inside the container, so it goes.
  return { ...body, Env: env.flatMap((e, i) => (i === index ? [entry] : envName(e) === name ? [] : [e])) };
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

export function withHostConfig(body: ContainerCreateBody, fields: Partial<ContainerCreateBody['HostConfig']>): ContainerCreateBody {
  return { ...body, HostConfig: { ...body.HostConfig, ...fields } };
}
