import type { Phase } from '../status/tracker.js';

export type { Phase };

/** What the lifecycle tells the status file (the readiness probe reads it). */
export interface StatusReporter {
  enter(phase: Phase): void;
  setContainerId(id: string): void;
  fail(message: string): void;
  /** Something asked for that envbox could not do; shown by `envbox status` under warnings. */
  warn(text: string): void;
  /** "ready in 3.2 s: daemon 0.7 s, pull 1.1 s, ..." */
  summary(): string;
}
