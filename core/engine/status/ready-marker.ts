import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeReplacingSync } from '../host/safe-files.js';

/**
 * The ready marker: a file next to the status file that exists only while envbox is ready, and
 * names the process that wrote it by pid *and* start time (field 22 of /proc/PID/stat). A probe
 * checks both with shell builtins, so a marker left by a crashed envbox (dead pid) or by an earlier
 * run in a restarted container (the same pid, another start time) never says ready.
 */
const READY_MARKER_NAME = 'ready';

export function readyMarkerPath(statusFile: string): string {
  return join(dirname(statusFile), READY_MARKER_NAME);
}

/**
 * The readiness probe: POSIX sh builtins only (read, set, test), no process started but the
 * shell itself. Fields after "pid (comm) " start at field 3, so the start time is the 20th.
 */
export function readyProbeScript(markerPath: string): string {
  return `read -r pid start < ${markerPath} && read -r stat < /proc/$pid/stat && set -- \${stat##*) } && test "\${20}" = "$start"`;
}

/** The start time of a process in clock ticks since boot, or undefined when it is gone (or not Linux). */
export function processStartTime(pid: number | 'self' = 'self'): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: the fields after it start past the last ")".
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** True when `pid` is a running process that started at `startTime` (the one that wrote a record). */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  return startTime !== undefined && processStartTime(pid) === startTime;
}

/** Written atomically (rename), so a probe never reads half a marker, through a temp file no one else can have placed. */
export function writeReadyMarker(path: string): void {
  writeReplacingSync(path, `${process.pid} ${processStartTime() ?? '0'}\n`, { mode: 0o644 });
}

/** Gone already, or its directory never existed (ENOTDIR: a file in the way): nothing to remove. */
export function removeReadyMarker(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
  }
}
