/**
 * Docker image references, parsed by the grammar of distribution/reference:
 * [domain[:port]/]path[:tag][@algorithm:hex]. A first component is a domain when it holds
 * a dot or a colon, or is `localhost`; otherwise the image is on Docker Hub.
 */
export interface ImageRef {
  /** The reference as the user wrote it. */
  raw: string;
  /** `registry.example.com:5000`, or `docker.io` for Docker Hub. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** Returns the parsed reference, or a sentence saying what is wrong with it. */
export function parseImageRef(raw: string): ImageRef | string {
  if (raw.trim() !== raw || raw === '') return 'an image reference has no spaces and is not empty';
  if (raw.length > 255 + 128 + 72) return 'is too long to be an image reference';
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `the digest "${digest}" is not algorithm:hex (sha256 with 64 hex digits)`;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `the tag "${tag}" may hold only letters, digits, "_", "." and "-" (at most 128)`;
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN.test(first)) return `the registry "${first}" is not a host name with an optional port`;
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    return 'the repository must be lowercase letters, digits and separators (".", "_", "__", "-") between "/"';
  }
  let repository = parts.join('/');
  if (registry === DOCKER_HUB && parts.length === 1) repository = `library/${repository}`;
  const ref: ImageRef = { raw, registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The names a docker config may use for this registry in its `auths` map, most specific first. */
export function registryAuthKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  }
  return [registry, `https://${registry}`, `http://${registry}`];
}
