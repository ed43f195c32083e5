import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values pino replaces wherever they appear in a logged object. */
const REDACT_PATHS = [
  'token', 'agentToken', 'password', 'auth', 'identitytoken', 'imagePullSecret', 'secret',
  '*.token', '*.agentToken', '*.password', '*.auth', '*.identitytoken', '*.imagePullSecret', '*.secret',
  'headers["x-registry-auth"]', 'headers["coder-session-token"]',
];

/**
 * Debug logs go through pino on stderr. Besides key-based redaction, every line is scrubbed of
 * the secret values themselves, so a token inside an error message is caught too.
 */
export function createLogger(options: { debug: boolean; scrub: (line: string) => string; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stderr;
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
