/** One timed run; it times its own measured part, so setup and teardown stay outside. */
export type Trial = (round: number) => Promise<number>;

export interface InterleaveOptions {
  rounds: number;
  warmup: number;
  /** Called after each run with its round (negative while warming up) and time. */
  onSample?: (side: 'baseline' | 'subject', round: number, ms: number) => void;
}

/**
 * Runs baseline and subject alternately (A B A B ...), so drift in the machine (page cache,
 * thermal, a neighbour's load) hits both sides alike. Warm-up rounds run both and are dropped.
 */
export async function interleave(options: InterleaveOptions, baseline: Trial, subject: Trial): Promise<{ baseline: number[]; subject: number[] }> {
  const out = { baseline: [] as number[], subject: [] as number[] };
  for (let i = -options.warmup; i < options.rounds; i++) {
    const a = await baseline(i);
    options.onSample?.('baseline', i, a);
    const b = await subject(i);
    options.onSample?.('subject', i, b);
    if (i >= 0) {
      out.baseline.push(a);
      out.subject.push(b);
    }
  }
  return out;
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function since(start: number): number {
  return performance.now() - start;
}
