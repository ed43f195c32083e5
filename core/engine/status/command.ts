import { parseArgs } from 'node:util';
import { EnvboxError, messageOf } from '../../kernel/errors.js';
import { escapeControlCharacters } from '../../kernel/control-chars.js';
import { isSameProcess } from './ready-marker.js';
import { DEFAULT_STATUS_FILE, readStatus, seconds, summarizeStatus, type StatusFile } from './tracker.js';

export const STATUS_USAGE = `Usage: envbox status [--json] [--file PATH]

Prints where the workspace start stands. Exits 0 only when the workspace is ready and
the envbox that wrote the status file is still running.

For a readiness probe, prefer the ready marker next to the status file: a shell
one-liner answers it without starting node (see docs/probes.md).

  --json        print the status file as JSON
  --file PATH   the status file (default: $ENVBOX_STATUS_FILE, else ${DEFAULT_STATUS_FILE})
  --help        print this text
`;

export interface StatusCommandIo {
  out(text: string): void;
  err(text: string): void;
  now(): number;
}

const processIo: StatusCommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  now: () => Date.now(),
};

/** `envbox status`: 0 when ready, 1 when not (or no readable status), 2 for a bad flag. */
export async function runStatusCommand(argv: string[], env: NodeJS.ProcessEnv, io: StatusCommandIo = processIo): Promise<number> {
  let values: { json?: boolean; file?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`envbox status: ${messageOf(error)}\n\n${STATUS_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  const path = values.file || env.ENVBOX_STATUS_FILE || DEFAULT_STATUS_FILE;
  let status: StatusFile;
  try {
    status = await readStatus(path);
  } catch (error) {
    const hint = error instanceof EnvboxError && error.hint ? ` ${error.hint}` : '';
    io.err(`envbox status: ${escapeControlCharacters(`${messageOf(error)}.${hint}`)}\n`);
    return 1;
  }
  const stale = isStale(status);
  io.out(values.json ? `${JSON.stringify(status, null, 2)}\n` : describeStatus(status, io.now()));
  if (stale) io.err(`envbox status: the envbox that wrote ${escapeControlCharacters(path)} (pid ${status.pid}) is no longer running: the status is stale, not ${status.phase}.\n`);
  return status.phase === 'ready' && !stale ? 0 : 1;
}

/**
 * A status from a process that is gone (a crash, or an earlier run in a restarted container with
 * the same pid) says nothing about now. `failed` is final and stays readable after exit.
 */
function isStale(status: StatusFile): boolean {
  if (status.phase === 'failed') return false;
  return !isSameProcess(status.pid, status.pidStartTime);
}

/**
 * The human-readable form: the phase first, since a probe's output is read in a hurry. Each value
 * is one line with its control characters escaped: lastError and warnings quote what the image
 * and the workspace printed, and this goes to an admin's terminal.
 */
export function describeStatus(status: StatusFile, nowMs: number): string {
  const inPhase = seconds(nowMs - Date.parse(status.phaseStartedAt));
  const rows: Array<[string, string]> = [
    ['timings', summarizeStatus(status, nowMs)],
    ['container', status.containerId ?? '(not created yet)'],
    ['started', status.startedAt],
    ['updated', status.updatedAt],
    ['pid', String(status.pid)],
  ];
  if (status.lastError) rows.push(['last error', status.lastError]);
  for (const warning of status.warnings) rows.push(['warning', warning]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return [`envbox: ${status.phase} (for ${inPhase})`, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${escapeControlCharacters(value)}`)].join('\n') + '\n';
}
