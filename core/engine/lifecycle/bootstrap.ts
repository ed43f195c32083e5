import type { DockerClient, StreamingExec } from '../../kernel/docker-client.js';
import type { ImageFacts } from '../../kernel/image-facts.js';
import type { BuildLog } from '../../kernel/build-log.js';
import type { Logger } from '../log/logger.js';

/** Said once per start, however many lines were cut. */
function longLineWarning(limitBytes: number): string {
  return `a line of the bootstrap's output was longer than ${limitBytes} bytes; it was cut there (said once, however many lines are cut).`;
}

/**
 * Runs the bootstrap script with `/bin/sh -s` as the image user, the script on stdin, and copies
 * its output line by line into the build log, up to `limitBytes`. The workspace writes that output,
 * so no line of it costs more memory than the client's line limit, however long it is.
 */
export async function startBootstrap(
  docker: DockerClient, containerId: string, facts: ImageFacts, script: string, buildLog: BuildLog, log: Logger, limitBytes: number,
): Promise<StreamingExec> {
  buildLog.info('Bootstrapping workspace...');
  let warnedLongLine = false;
  const exec = await docker.execStreaming(containerId, {
    cmd: ['/bin/sh', '-s'],
    user: String(facts.uid),
    env: [`BINARY_DIR=${facts.home.replace(/\/$/, '')}/.coder`],
    stdin: script,
    onLongLine: (lineLimitBytes) => {
      if (warnedLongLine) return;
      warnedLongLine = true;
      buildLog.warn(longLineWarning(lineLimitBytes));
    },
  });
  void (async () => {
    let used = 0;
    let truncated = false;
    try {
      for await (const line of exec.lines) {
        if (truncated) continue;
        used += Buffer.byteLength(line) + 1;
        if (used > limitBytes) {
          truncated = true;
          buildLog.info(`Bootstrap output after ${limitBytes} bytes is not shown (ENVBOX_BOOTSTRAP_LOG_LIMIT).`);
          continue;
        }
        buildLog.info(line);
      }
    } catch (error) {
      log.debug({ error: (error as Error).message }, 'bootstrap output ended');
    }
  })();
  exec.exited.then(
    (code) => log.debug({ code }, 'bootstrap exited'),
    (error: Error) => log.debug({ error: error.message }, 'bootstrap exit unknown'),
  );
  return exec;
}
