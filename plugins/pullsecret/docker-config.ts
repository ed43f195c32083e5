import * as z from 'zod';
import { type PullAuth, registryAuthKeys, secretLeaves } from 'envbox';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** `auth` is base64 of `user:password`; the user is whatever precedes the first colon. */
export function decodeBasicAuth(auth: string): { username: string; password: string } | null {
  if (!STD_BASE64.test(auth)) return null;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  // Some writers pad the decoded text with NULs; Docker's own decoder trims them too.
  return { username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, '') };
}

/**
 * The parts of a docker config (~/.docker/config.json, or a Kubernetes `.dockerconfigjson`
 * secret) that envbox reads: `auths`, keyed by registry. Other keys (credHelpers, credsStore,
 * HttpHeaders) are allowed and ignored here: credential helpers (credHelpers, credsStore) are read by cred-helpers.ts.
 */
const authEntrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
}).superRefine((entry, ctx) => {
  // The messages never quote the value: it is a credential.
  if (entry.auth && decodeBasicAuth(entry.auth) === null) {
    ctx.addIssue({ code: 'custom', path: ['auth'], message: 'is not base64 of "user:password"' });
  }
});

const authsSchema = z.record(z.string(), authEntrySchema);

/** CODER_IMAGE_PULL_SECRET: a Kubernetes dockerconfigjson always has `auths`. */
export const dockerConfigSchema = z.looseObject({ auths: authsSchema });

/**
 * CODER_DOCKER_CONFIG: the same entries, checked the same way; a file without `auths` (only a
 * credsStore, say) holds no credentials, as in the original.
 */
export const dockerConfigFileSchema = z.looseObject({ auths: authsSchema.optional() });

/** The registry's host[:port] in an `auths` key, which may be a URL such as https://registry.test:5000/v1/. */
export function authKeyHost(key: string): string {
  return key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]!.toLowerCase();
}

type Credentials = { username: string; password: string } | { identitytoken: string };

/** Usable credentials of one entry, in the order Docker prefers them; null when it has none. */
function credentialsOf(entry: unknown): Credentials | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { auth, username, password, identitytoken } = entry as Record<string, unknown>;
  if (typeof identitytoken === 'string' && identitytoken !== '') return { identitytoken };
  if (typeof username === 'string' && username !== '' && typeof password === 'string' && password !== '') return { username, password };
  if (typeof auth === 'string' && auth !== '') {
    const decoded = decodeBasicAuth(auth);
    if (decoded && decoded.password !== '') return decoded;
  }
  return null;
}

interface ChosenAuth {
  auth: PullAuth;
  /** The `auths` key the credentials came from. */
  key: string;
  /** True when no key of the config names a registry and its first usable entry was taken (the original's legacy rule). */
  fallback: boolean;
}

/** The names Docker Hub goes by, in image names and in `auths` keys: all one registry. */
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A registry's host[:port] as one name per registry: Docker Hub's aliases become docker.io. */
function canonicalRegistry(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_HOSTS.has(lower) ? 'docker.io' : lower;
}

/** Docker's own rule for the first part of an image name: a registry host has a dot or a port, or is localhost. */
function isRegistryHost(host: string): boolean {
  return host.includes('.') || host.includes(':') || host === 'localhost';
}

/**
 * Credentials for `registry`, and only for it: an exact key first (most specific first), then a
 * key that names the same registry once scheme, path and Docker Hub's aliases are set aside.
 * Credentials keyed by another registry are never sent to this one. Only a config none of whose
 * keys names a registry (an empty key, a bare label), which the original envbox accepted by taking
 * its first usable entry, still gets that legacy rule; `fallback` says so, for a warning.
 */
export function chooseAuth(auths: unknown, registry: string): ChosenAuth | null {
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) return null;
  const entries = Object.entries(auths as Record<string, unknown>);
  const target = canonicalRegistry(registry);
  const wanted = registryAuthKeys(target);
  const serveraddress = wanted[0]!;
  const pick = (key: string, entry: unknown, fallback: boolean): ChosenAuth | null => {
    const credentials = credentialsOf(entry);
    return credentials ? { auth: { ...credentials, serveraddress }, key, fallback } : null;
  };
  for (const key of wanted) {
    const match = entries.find(([k]) => k === key);
    const chosen = match && pick(match[0], match[1], false);
    if (chosen) return chosen;
  }
  for (const [key, entry] of entries) {
    const chosen = canonicalRegistry(authKeyHost(key)) === target ? pick(key, entry, false) : null;
    if (chosen) return chosen;
  }
  if (entries.some(([key]) => isRegistryHost(authKeyHost(key)))) return null;
  for (const [key, entry] of entries) {
    const chosen = pick(key, entry, true);
    if (chosen) return chosen;
  }
  return null;
}

/**
 * Every credential in `auths`, for every registry, whatever its shape: passwords, `auth` values and
 * the passwords inside them, identity and registry tokens. Not only the chosen entry's: the others
 * are just as secret, and a plugin or an error may quote the file.
 */
export function credentialSecrets(auths: unknown): string[] {
  if (typeof auths !== 'object' || auths === null) return [];
  return Object.values(auths as Record<string, unknown>).flatMap((entry) => {
    const found = secretLeaves(entry);
    const auth = typeof entry === 'object' && entry !== null ? (entry as { auth?: unknown }).auth : undefined;
    const decoded = typeof auth === 'string' ? decodeBasicAuth(auth) : null;
    return decoded ? [...found, decoded.password] : found;
  });
}
