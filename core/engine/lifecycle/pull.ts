import type { DockerClient, PullProgress } from '../../kernel/docker-client.js';
import { EnvboxError, messageOf } from '../../kernel/errors.js';
import type { PullSpec } from '../../kernel/hooks.js';
import { hintFor } from '../status/hints.js';
import type { BuildLog } from '../../kernel/build-log.js';
import type { Logger } from '../log/logger.js';

/** Failures that another attempt cannot fix: trust, credentials, a missing image. */
const PERMANENT = /x509|certificate|unauthorized|no basic auth credentials|denied|manifest unknown|not found|invalid reference|repository name must/i;
export const NO_SPACE = /no space left on device/i;

export class NoSpaceError extends EnvboxError {}

/** Rate-limited progress: the first line, then at most one every `intervalMs`. */
export function progressReporter(buildLog: BuildLog, intervalMs = 2000, now = () => Date.now()): (line: PullProgress) => void {
  let last = -Infinity;
  return (line) => {
    if (line.error || !line.status) return;
    if (now() - last < intervalMs) return;
    last = now();
    const id = line.id ? `${line.id}: ` : '';
    buildLog.info(`${id}${line.status}${line.progress ? ` ${line.progress}` : ''}`);
  };
}

export interface PullOptions {
  attempts?: number;
  /** Once aborted, no further attempt is made. */
  signal?: AbortSignal;
  policy?: 'always' | 'if-not-present' | 'never';
  sleep?: (ms: number) => Promise<void>;
  /**
   * Frees disk when a pull hits "no space left on device": called once, then the pull is tried
   * again, as coder/envbox does; only a second full disk is a NoSpaceError. Without it, the first is.
   */
  prune?: () => Promise<void>;
}

/**
 * Pulls with a bounded number of attempts. Permanent failures fail at once, so a wrong CA or
 * password is reported in a second rather than after minutes of retries.
 */
export async function pullWithRetry(docker: DockerClient, pull: PullSpec, buildLog: BuildLog, log: Logger, options: PullOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const registry = pull.image.registry;
  const policy = options.policy ?? 'always';
  if (policy !== 'always' && (await docker.imageExists(pull.image.raw))) {
    buildLog.info(`Using image ${pull.image.raw}, already present (ENVBOX_PULL_POLICY=${policy})`);
    return;
  }
  if (policy === 'never') {
    throw new EnvboxError(`the image ${pull.image.raw} is not present and ENVBOX_PULL_POLICY=never forbids pulling it`,
      'Load the image into the daemon first, or set ENVBOX_PULL_POLICY=if-not-present.');
  }
  buildLog.info(`Pulling image ${pull.image.raw} from ${registry}${pull.auth ? ' with credentials' : ''}...`);
  let pruned = false;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      await docker.pullImage(pull.image.raw, pull.auth, progressReporter(buildLog));
      buildLog.info(`Pulled image ${pull.image.raw}`);
      return;
    } catch (error) {
      const message = messageOf(error);
      log.debug({ attempt, error: message }, 'pull failed');
      if (NO_SPACE.test(message)) {
        if (pruned || !options.prune) throw new NoSpaceError(`pulling ${pull.image.raw} failed: ${message}`, undefined, { cause: error });
        pruned = true;
        buildLog.info(`Pulling ${pull.image.raw} ran out of disk (no space left on device). Pruning unused images to free up disk, then pulling again...`);
        await options.prune().catch((pruneError: unknown) => buildLog.info(`Pruning images failed (${messageOf(pruneError)}); pulling again anyway...`));
        // The retry after a prune is the one coder/envbox makes; it does not use up an attempt.
        attempt--;
        continue;
      }
      if (options.signal?.aborted) throw options.signal.reason;
      if (PERMANENT.test(message) || attempt >= attempts) {
        // A plugin's hint (a mirror that is down) comes first; the usual one for the daemon's words still follows.
        const hints = pull.failureHints?.length ? [...pull.failureHints, hintFor(message) ?? ''].join(' ').trim() : undefined;
        throw new EnvboxError(`pulling ${pull.image.raw} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${message.replace(/^pull image: /, '')}`, hints, { cause: error });
      }
      buildLog.info(`Pull attempt ${attempt} of ${attempts} failed (${message}); retrying...`);
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}
