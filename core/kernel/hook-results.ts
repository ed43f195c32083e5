import './zod-config.js';
import * as z from 'zod';
import { OptionValues } from './inputs/options.js';

/** Freezes plain objects and arrays all the way down, so that an in-place edit by a tap throws (ESM is strict). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

const strings = z.array(z.string());
const bodySchema = z.looseObject({
  Image: z.string().min(1),
  Env: strings.optional(),
  Labels: z.record(z.string(), z.string()).optional(),
  HostConfig: z.looseObject({
    Binds: strings.optional(),
    DeviceCgroupRules: strings.optional(),
    ExtraHosts: strings.optional(),
    Devices: z.array(z.looseObject({ PathOnHost: z.string(), PathInContainer: z.string(), CgroupPermissions: z.string() })).optional(),
  }),
});
const daemonSchema = z.looseObject({ argv: strings.min(1), env: z.record(z.string(), z.string()) });
const launchSchema = daemonSchema.extend({ cgroupNesting: z.boolean() });
const id = z.number().int().nonnegative();
const range = z.looseObject({ start: id, count: id.min(1) });
const identitySchema = z.looseObject({
  rootless: z.looseObject({ name: z.string().min(1), uid: id, gid: id, home: z.string().startsWith('/'), subuid: range, subgid: range }).nullable(),
  idOffset: id,
});
const pullSchema = z.looseObject({
  image: z.looseObject({ raw: z.string().min(1), registry: z.string().min(1) }),
  auth: z.looseObject({ serveraddress: z.string() }).nullable(),
  failureHints: strings.optional(),
});

function shapeProblem(schema: z.ZodType, what: string, result: unknown): string | null {
  const parsed = schema.safeParse(result);
  if (parsed.success) return null;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  return `returned ${describe(result)}, not ${what} (${issues})`;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** What each waterfall's taps must return; checked right after each tap, so the tap that broke it is named. */
const CHECKS: Record<string, (result: unknown) => string | null> = {
  configure: (result) => (result instanceof OptionValues ? null
    : `returned ${describe(result)}, not the options it was given (return options, or options.with(input, value) to change one)`),
  daemonIdentity: (result) => shapeProblem(identitySchema, 'a daemon identity { rootless: { name, uid, gid, home, subuid, subgid } | null, idOffset }', result),
  preDaemon: (result) => shapeProblem(daemonSchema, 'a daemon spec { argv: string[], env }', result),
  daemonLaunch: (result) => shapeProblem(launchSchema, 'a daemon launch { argv: string[], env, cgroupNesting: boolean }', result),
  prePull: (result) => shapeProblem(pullSchema, 'a pull spec { image, auth }', result),
  containerSpec: (result) => shapeProblem(bodySchema, 'a ContainerCreate body { Image, HostConfig, ... }', result),
};

export function checkResult(hook: string, result: unknown): string | null {
  if (result === undefined || result === null) return `a ${hook} tap must return the (edited) value it was given`;
  return CHECKS[hook]?.(result) ?? null;
}
