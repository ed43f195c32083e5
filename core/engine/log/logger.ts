import { pino, type Logger } from 'pino';
import type { BuildLog } from '../../kernel/build-log.js';
import { warningsToBuildLog, warningsToStatus } from './warnings.js';

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
 * the secret values themselves, so a token inside an error message is caught too. When a `buildLog`
 * is given, a warning (or worse) goes where every warning goes: without debug it is a build-log line
 * (`buildLog.warn`), so that stderr holds build-log lines only; with debug it stays a pino line. Either
 * way it is kept for `envbox status`.
 */
export function createLogger(options: {
  debug: boolean;
  scrub: (line: string) => string;
  redactKeys?: readonly string[];
  /** Where pino's own JSON lines go; default stderr. */
  destination?: NodeJS.WritableStream;
  buildLog?: BuildLog;
}): Logger {
  const pinoLines = options.destination ?? process.stderr;
  let destination: pino.DestinationStream = pinoLines;
  if (options.buildLog && !options.debug) destination = warningsToBuildLog(options.buildLog);
  else if (options.buildLog) destination = pino.multistream([{ level: 'debug', stream: pinoLines }, { level: 'warn', stream: warningsToStatus(options.buildLog) }]);
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
