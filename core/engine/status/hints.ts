import { EnvboxError, messageOf } from '../../kernel/errors.js';
import { escapeControlCharacters } from '../../kernel/control-chars.js';

/** The original envbox's words, kept because operators search for them. */
export const SYSBOX_KERNEL_HINT =
  'Sysbox exited, possibly because of an unsupported kernel version. Please contact an infrastructure administrator and request a node kernel with seccomp API level >= 5.';

export const HINTS = {
  sysboxMissing: 'The sysbox daemons (sysbox-mgr, sysbox-fs) are not installed in this image. Use an image that has them, or set ENVBOX_RUNTIME=runc to run the workspace without sysbox.',
  sysboxKernel: SYSBOX_KERNEL_HINT,
  diskFull: 'The disk is full. Free space in the workspace\'s home volume (old images and build caches under /var/lib/docker often fill it) or give the volume more room.',
  unknownCa: 'The registry\'s certificate is signed by a CA this pod does not trust. Mount the CA certificate (a PEM file, or a directory of them) into the pod and set CODER_EXTRA_CERTS_PATH to its path.',
  credentials: 'The registry refused the pull. Check that CODER_IMAGE_PULL_SECRET (or the Docker config file named by CODER_DOCKER_CONFIG) holds a valid login for this registry, and that CODER_INNER_IMAGE names a repository that exists.',
  imageNotFound: 'The image or its tag does not exist. Check CODER_INNER_IMAGE: the registry, the repository name and the tag.',
  cgroupns: 'Docker runs the envbox container in a private cgroup namespace (cgroupns-mode private), where containers cannot be moved into their cgroups. Run it with `docker run --cgroupns=host`, or set "default-cgroupns-mode": "host" in the outer daemon\'s /etc/docker/daemon.json and restart it.',
} as const;

/** Ordered: the first rule that matches wins, so the narrower causes come first. */
const RULES: ReadonlyArray<[RegExp, string]> = [
  // runc's words when dockerd or the workspace start fails under a private cgroup namespace (coder/envbox's troubleshooting entry).
  [/failed to write[^\n]*cgroup\.procs[^\n]*operation not supported/i, HINTS.cgroupns],
  [/sysbox-(mgr|fs)\b[^\n]*(ENOENT|not found|no such file)|(ENOENT|not found|no such file)[^\n]*sysbox-(mgr|fs)\b/i, HINTS.sysboxMissing],
  [/sysbox[^\n]*exited|seccomp api level|unsupported kernel/i, HINTS.sysboxKernel],
  [/no space left on device|ENOSPC/i, HINTS.diskFull],
  [/x509: certificate signed by unknown authority|unable to (get local issuer|verify the first) certificate|self[- ]signed certificate in certificate chain|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i, HINTS.unknownCa],
  [/no basic auth credentials|unauthorized: authentication required|unauthorized: incorrect username or password|denied: requested access to the resource is denied|pull access denied/i, HINTS.credentials],
  [/manifest unknown|name unknown|no such image|(manifest|repository|image|tag)\b[^\n]*\bnot found|\bnot found\b[^\n]*\b(manifest|repository|image|tag)\b/i, HINTS.imageNotFound],
];

/** What to do next, for failures whose cause we recognise. */
export function hintFor(message: string): string | undefined {
  for (const [pattern, hint] of RULES) if (pattern.test(message)) return hint;
  return undefined;
}

/**
 * The one paragraph that explains a failure: the final `error` build-log line and the Kubernetes
 * termination message. "<message> <what to do next>", on one line, its control characters escaped:
 * the message may quote what the image or the workspace printed, and `kubectl describe` and
 * `envbox status` show it on a terminal.
 */
export function failureParagraph(error: unknown): string {
  const message = oneLine(messageOf(error)) || 'envbox failed for an unknown reason.';
  const hint = givenHint(error) || hintFor(causeChainText(error));
  if (!hint || message.includes(hint)) return escapeControlCharacters(message);
  return escapeControlCharacters(`${/[.!?]$/.test(message) ? message : `${message}.`} ${hint}`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The hint an EnvboxError carries, also behind a wrapper (a PluginError naming the plugin that threw it). */
function givenHint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof EnvboxError && current.hint) return current.hint;
    current = current.cause;
  }
  return undefined;
}

/** The message and its causes, so a hint is found even when a wrapper hides the daemon's words. */
function causeChainText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    parts.push(messageOf(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}
