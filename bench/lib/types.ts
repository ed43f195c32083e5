import type { World } from '../../integration/harness/index.js';

/** One side of a comparison: what ran, and how long each timed run took. */
export interface Series {
  label: string;
  samplesMs: number[];
}

/** What every benchmark returns; `subject / baseline` of the medians is the headline figure. */
export interface BenchResult {
  name: string;
  baseline: Series;
  subject: Series;
  /** Extra figures worth a line under the table (per-call times, envbox's own phase split). */
  notes?: string[];
  /** The same figures as data, for latest.json. */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  /** Measured rounds; each round runs the baseline once, then the subject once. */
  rounds: number;
  /** Rounds run first and thrown away (caches, JIT, page cache). */
  warmup: number;
  /** The shared test world (root only); created on first use, destroyed by the runner. */
  world(): Promise<World>;
  /** A progress line on stderr. */
  progress(line: string): void;
}

export interface Benchmark {
  name: string;
  /** One line: what is compared with what. */
  summary: string;
  /** Needs root and the test world (a registry, sandboxes with their own dockerd). */
  needsWorld: boolean;
  run(ctx: BenchContext): Promise<BenchResult>;
}
