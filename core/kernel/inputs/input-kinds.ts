import { posix } from 'node:path';
import { isAtOrBelow } from '../paths.js';
import '../zod-config.js';
import * as z from 'zod';
import { parseImageRef, type ImageRef } from '../image-ref.js';
import { urlSecretForms, userinfoReadingsDiffer } from './url-userinfo.js';

/**
 * Schemas for each kind of input. Env vars and flags arrive as text; a config file may also give
 * numbers and booleans, so everything is turned into text first and parsed one way.
 * Each parser returns the value, or a `Problem` whose text completes "VARIABLE: ...".
 */
export class Problem {
  constructor(readonly text: string) {}
}

function toText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

export function textInput<T>(parse: (text: string) => T | Problem): z.ZodType<T> {
  return z.preprocess(
    toText,
    z.string({ error: 'must be text' }).transform((text, ctx) => {
      const result = parse(text);
      if (result instanceof Problem) {
        ctx.addIssue({ code: 'custom', message: result.text });
        return z.NEVER;
      }
      return result;
    }),
  ) as unknown as z.ZodType<T>;
}

/** User text quoted in a problem: JSON-escaped (no control character reaches a terminal), cut past 80 characters. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/**
 * Every spelling Go's strconv.ParseBool takes (coder/envbox reads its booleans with it), so a
 * template written for the original keeps working; envbox also takes yes/no and on/off, and any case.
 */
export const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'] as const;
export const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'] as const;
const TRUE = new Set(['1', 't', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'f', 'false', 'no', 'off']);

export const booleanInput = textInput((text) => {
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return new Problem(`${quote(text)} is not a boolean (use true or false; 1, t, 0, f, yes, no, on and off also work)`);
});

/** A whole number in [min, max]; the bound keeps values inside what ids and timers can hold. */
export function boundedIntegerInput(min: number, max: number, unit: string): z.ZodType<number> {
  return textInput((text) => {
    const t = text.trim();
    if (!/^\d+$/.test(t)) return new Problem(`${quote(text)} is not a whole number of ${unit}`);
    const n = Number(t);
    return n >= min && n <= max ? n : new Problem(`${t} is out of range (${min} to ${max} ${unit})`);
  });
}

export const stringInput = textInput((text) => (text.length > 0 ? text : new Problem('must not be empty')));

export const absolutePathInput = textInput((text) =>
  text.startsWith('/') ? text.replace(/(.)\/+$/, '$1') : new Problem(`${quote(text)} is not an absolute path`),
);

/**
 * Why a bind can never go at `target` in the workspace, or null. Measured on dockerd 20.10 with runc:
 * at or below /proc runc refuses it ("cannot be mounted because it is not of type proc"); at /dev
 * the container fails to start ("stat /dev/null: no such file or directory"); sysfs is read-only
 * and the runtime's, so a path that does not exist there fails ("read-only file system").
 */
export function mountTargetProblem(target: string): string | null {
  const path = posix.normalize(target).replace(/(.)\/+$/, '$1');
  const atOrBelow = (dir: string) => isAtOrBelow(path, dir);
  if (path === '/') return 'it would mount over the workspace\'s root "/"; choose a directory inside it';
  if (atOrBelow('/proc')) return 'the runtime refuses any mount at or below /proc';
  if (path === '/dev') return 'it would hide the device nodes the workspace needs, so it would fail to start; mount below it instead, such as /dev/shm';
  if (atOrBelow('/sys')) return '/sys belongs to the runtime (read-only sysfs), so a mount there fails or hides it';
  return null;
}

/** An absolute path in the workspace that a bind can go to. */
export const mountTargetInput = textInput((text) => {
  if (!text.startsWith('/')) return new Problem(`${quote(text)} is not an absolute path`);
  const problem = mountTargetProblem(text);
  return problem === null ? text.replace(/(.)\/+$/, '$1') : new Problem(`${quote(text)} cannot be a mount target: ${problem}`);
});

/**
 * Kubernetes spells decimal units uppercase (`512M`) and binary ones with `i` (`512Mi`); Docker's
 * `-m 512m` means MiB, so lowercase single letters are binary, as Docker reads them.
 */
const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1, B: 1,
  K: 1e3, KB: 1e3, M: 1e6, MB: 1e6, G: 1e9, GB: 1e9, T: 1e12, TB: 1e12,
  k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40,
  Ki: 2 ** 10, KiB: 2 ** 10, Mi: 2 ** 20, MiB: 2 ** 20, Gi: 2 ** 30, GiB: 2 ** 30, Ti: 2 ** 40, TiB: 2 ** 40,
};

/** Bytes, plain (`1073741824`) or with a unit as Kubernetes and Docker write them (`1Gi`, `512M`). */
export const byteSizeInput = textInput((text) => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = match ? BYTE_UNITS[match[2]!] : undefined;
  if (!match || unit === undefined) return new Problem(`${quote(text)} is not a byte size (a number of bytes, or with a unit: Ki, Mi, Gi (binary), K, M, G (decimal), or Docker's k, m, g (binary))`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) return new Problem(`${quote(text)} is too large`);
  if (bytes < 6 * 2 ** 20) return new Problem(`${quote(text)} is below Docker's minimum memory limit of 6 MiB`);
  return bytes;
});

/** A URL quoted in a problem: its password replaced; not quoted at all when an '@' may still hide one. */
export function quoteUrl(text: string): string {
  // Where the parsers disagree, a user name may be a password: nothing of it is quoted.
  if (text.includes('@') && userinfoReadingsDiffer(text)) return 'the value (hidden: it may hold a password)';
  const masked = urlSecretForms(text).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  return masked === text && text.includes('@') ? 'the value (hidden: it may hold a password)' : quote(masked);
}

export interface Cidr {
  /** The CIDR as written. */
  cidr: string;
  /** First usable host, which dockerd's `--bip` takes: `172.19.0.1`. */
  firstHost: string;
  prefix: number;
}

export const ipv4CidrInput = textInput((text) => {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) return new Problem(`${quote(text)} is not an IPv4 CIDR`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) return new Problem(`${quote(text)} has an octet over 255`);
  if (prefix < 8 || prefix > 30) return new Problem(`the prefix /${prefix} must be between /8 and /30, so that the bridge has a host address`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  const first = network + 1;
  const firstHost = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
  return { cidr: text.trim(), firstHost, prefix } satisfies Cidr;
});

export const imageRefInput = textInput<ImageRef>((text) => {
  const ref = parseImageRef(text);
  return typeof ref === 'string' ? new Problem(`${quote(text)} is not an image reference: ${ref}`) : ref;
});

/** A bind mount as a user writes one (`src:dst[:ro][:chown]`); the mounts plugin parses CODER_MOUNTS into these, a site plugin may add its own. */
export interface MountSpec {
  source: string;
  target: string;
  readOnly: boolean;
  /** `:chown`: shift the owners of everything under the source into the workspace's id range. */
  chown?: boolean;
}


/** A daemon address as DOCKER_HOST takes it; a TCP port must be one a socket can have. */
export const dockerHostInput = textInput((text) => {
  if (/^unix:\/\/\/.+/.test(text)) return text;
  const tcp = /^tcp:\/\/[^/]+:(\d+)\/?$/.exec(text);
  // Docker's client drops a user:password@ in tcp://, so one here is a credential with nowhere to go but the logs.
  if (tcp && text.includes('@')) return new Problem('holds user:password@ (the value is hidden); a tcp:// Docker address takes no credentials: tcp://host:port');
  if (tcp) {
    const port = Number(tcp[1]);
    return port >= 1 && port <= 65535 ? text : new Problem(`${quoteUrl(text)} has the port ${tcp[1]}; a TCP port is 1 to 65535`);
  }
  if (text.startsWith('/')) return `unix://${text}`;
  return new Problem(`${quoteUrl(text)} is not unix:///path/to/docker.sock or tcp://host:port`);
});

export const nameInput = textInput((text) =>
  /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(text) ? text : new Problem(`${quote(text)} may hold only letters, digits, "_", "." and "-"`),
);

/** Docker's own rule for container names, `[a-zA-Z0-9][a-zA-Z0-9_.-]+`: at least two characters. */
export const containerNameInput = textInput((text) =>
  /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(text)
    ? text
    : new Problem(`${quote(text)} is not a container name Docker accepts (at least 2 characters: a letter or digit, then letters, digits, "_", "." or "-")`),
);

/**
 * A user name as it can appear in /etc/passwd: `:` separates the fields and a line ends at a
 * newline, so a name holding either (or another control character) can never match a line.
 */
export const usernameInput = textInput((text) => {
  if (text.length === 0) return new Problem('must not be empty');
  if (text.includes(':')) return new Problem(`${quote(text)} holds ":", which separates the fields of /etc/passwd, so no user can have this name`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return new Problem(`${quote(text)} holds a control character (a newline, a tab...), so no line of /etc/passwd can match it`);
  if (text.trim() !== text) return new Problem(`${quote(text)} starts or ends with a space; user names in /etc/passwd do not`);
  return text;
});

export const linkNameInput = textInput((text) =>
  /^[^\s/]{1,15}$/.test(text) ? text : new Problem(`${quote(text)} is not a network interface name (at most 15 characters, no "/" or spaces)`),
);

/**
 * No JSON input envbox reads nests more than a few levels; a deeper one would overflow the stack of
 * whatever walks it later (collecting its secrets, printing the plan), so it is refused here.
 */
const MAX_JSON_DEPTH = 64;

/** How deeply arrays and objects nest in a parsed JSON value, counted with a loop rather than recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Parses JSON text, then checks it against `schema`; problems never quote a secret value. */
/** JSON text checked against a schema; a secret's JSON error is not quoted (V8 quotes the text around it). */
export function parseJson<T>(text: string, schema: z.ZodType<T>, what: string, secret: boolean): T | Problem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = secret ? '' : `: ${(error as Error).message}`;
    return new Problem(`is not valid JSON${detail}${secret ? ' (the value is hidden because it is secret)' : ''}`);
  }
  if (nestingDepth(parsed) > MAX_JSON_DEPTH) return new Problem(`is not ${what}: it nests deeper than ${MAX_JSON_DEPTH} levels`);
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return new Problem(`is not ${what}${where}: ${issue?.message ?? 'invalid'}`);
}

export function jsonInput<T>(schema: z.ZodType<T>, what: string, secret: boolean): z.ZodType<T> {
  const fromText = textInput((text) => parseJson(text, schema, what, secret));
  // A config file may give the object itself rather than its JSON text.
  return z.preprocess((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : v), fromText) as unknown as z.ZodType<T>;
}
