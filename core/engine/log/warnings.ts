import type { BuildLog } from '../../kernel/build-log.js';

/** pino's own fields; the rest of a line is what the caller logged. */
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return JSON.stringify(value);
}

/** `Warning: <msg> (<field>: <value>, ...)` without the prefix: the text of a pino warning line. */
function warningText(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim();
  }
  const fields = Object.entries(record).filter(([key]) => !PINO_FIELDS.has(key)).map(([key, value]) => `${key}: ${describeValue(value)}`);
  const message = typeof record.msg === 'string' ? record.msg : 'warning';
  return `${message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

/**
 * A warning logged through pino (`log.warn(fields, msg)`) is a warning like any other: it goes through
 * `buildLog.warn`, as a build-log line that is also kept for `envbox status`. Without CODER_DEBUG
 * stderr carries only the build log, which tools parse line by line, so this is all pino writes.
 */
export function warningsToBuildLog(buildLog: BuildLog): { write(line: string): void } {
  return { write: (line: string) => buildLog.warn(warningText(line)) };
}

/** With CODER_DEBUG a warning stays the pino line it is, and is kept for `envbox status` as well. */
export function warningsToStatus(buildLog: BuildLog): { write(line: string): void } {
  return { write: (line: string) => buildLog.keepWarning(warningText(line)) };
}
