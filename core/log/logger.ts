import { pino, type Logger } from 'pino';
import type { BuildLog } from './buildlog.js';
import { warningsToBuildLog } from './warnings.js';

export type { Logger };

/** Keys whose values pino replaces wherever they appear in a logged object. */
const REDACT_PATHS = [
  'token', 'agentToken', 'password', 'auth', 'identitytoken', 'imagePullSecret', 'secret',
  '*.token', '*.agentToken', '*.password', '*.auth', '*.identitytoken', '*.imagePullSecret', '*.secret',
  'headers["x-registry-auth"]', 'headers["coder-session-token"]',
];

/**
 * Debug logs go through pino on stderr. Besides key-based redaction, every line is scrubbed of
 * the secret values themselves, so a token inside an error message is caught too. Without debug,
 * warnings go to `buildLog` when one is given, so that stderr holds build-log lines only.
 */
export function createLogger(options: { debug: boolean; scrub: (line: string) => string; destination?: NodeJS.WritableStream; buildLog?: BuildLog }): Logger {
  const destination = options.destination
    ?? (!options.debug && options.buildLog ? warningsToBuildLog(options.buildLog) : process.stderr);
  return pino(
    {
      level: options.debug ? 'debug' : 'warn',
      base: { name: 'envbox' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        streamWrite: options.scrub,
      },
    },
    destination,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
