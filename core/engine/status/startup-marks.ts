/**
 * Where the time from a process start to envbox's clock goes: performance marks set along the
 * way (main, modules, config, inputs), read back as milliseconds since node's time origin (the
 * process start). The bench reads them from the status file; a debug run logs them.
 */
export const STARTUP_MARKS = ['main', 'modules', 'config', 'inputs'] as const;
export type StartupMark = (typeof STARTUP_MARKS)[number];

export function markStartup(mark: StartupMark): void {
  performance.mark(`envbox:${mark}`);
}

export interface StartupTimes {
  /** performance.timeOrigin: the process start, in ms since the epoch. */
  timeOrigin: number;
  /** Each mark, in ms since timeOrigin; a step that did not run is left out. */
  marks: Partial<Record<StartupMark, number>>;
}

export function startupTimes(): StartupTimes {
  const marks: Partial<Record<StartupMark, number>> = {};
  for (const mark of STARTUP_MARKS) {
    const entry = performance.getEntriesByName(`envbox:${mark}`, 'mark')[0];
    if (entry) marks[mark] = Math.round(entry.startTime * 10) / 10;
  }
  return { timeOrigin: Math.round(performance.timeOrigin * 10) / 10, marks };
}
