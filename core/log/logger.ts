import { pino, type Logger } from 'pino';
import type { BuildLog } from './buildlog.js';
import { warningsToBuildLog } from './warnings.js';

export type { Logger };

/** Keys whose values are secret whatever plugin logs them; plugins add their own (`secretKeys`). */
const GENERIC_SECRET_KEYS = ['token', 'password', 'secret'];
const SECRET_HEADERS = ['headers["x-registry-auth"]', 'headers["coder-session-token"]', 'headers.authorization'];

function redactPaths(keys: readonly string[]): string[] {
  const safe = [...new Set([...GENERIC_SECRET_KEYS, ...keys])].filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
  return [...safe, ...safe.map((k) => `*.${k}`), ...SECRET_HEADERS];
}

/**
 * Debug logs go through pino on stderr. Besides key-based redaction, every line is scrubbed of
 * the secret values themselves, so a token inside an error message is caught too. Without debug,
 * warnings go to `buildLog` when one is given, so that stderr holds build-log lines only.
 */
export function createLogger(options: { debug: boolean; scrub: (line: string) => string; redactKeys?: readonly string[]; destination?: NodeJS.WritableStream; buildLog?: BuildLog }): Logger {
  const destination = options.destination
    ?? (!options.debug && options.buildLog ? warningsToBuildLog(options.buildLog) : process.stderr);
  return pino(
    {
      level: options.debug ? 'debug' : 'warn',
      base: { name: 'envbox' },
      redact: { paths: redactPaths(options.redactKeys ?? []), censor: '[redacted]' },
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
