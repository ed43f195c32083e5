import { EXIT_FAILURE, messageOf } from '../core/kernel/errors.js';

/** Where a crash is told: the build log's `error` line and the termination message, both scrubbed by the caller. */
export type CrashReporter = (text: string) => void;

/**
 * Nothing may end envbox unheard: an exception no code caught, or a rejection no code handled
 * (a site plugin's timer, a stream's error event), would otherwise end the process with Node's
 * stack trace on stderr, no build-log `error` line and no termination message. `report` is asked
 * for the reporter at the crash, so that it can use whatever is ready then (the app's scrubbing
 * build log once it exists). A reporter that throws still ends the process.
 */
export function reportCrashes(report: () => CrashReporter): void {
  let crashing = false;
  const crash = (kind: string) => (error: unknown) => {
    if (crashing) return;
    crashing = true;
    try {
      report()(`envbox stopped on an unexpected ${kind}: ${messageOf(error)}`);
    } finally {
      process.exit(EXIT_FAILURE);
    }
  };
  process.on('uncaughtException', crash('error'));
  process.on('unhandledRejection', crash('rejection'));
}
