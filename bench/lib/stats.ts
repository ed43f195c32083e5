/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The middle sample, or the mean of the two middle ones. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Summary {
  medianMs: number;
  p90Ms: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  return { medianMs: median(samples), p90Ms: percentile(samples, 90), n: samples.length };
}

/** subject / baseline of the medians: below 1 the subject is faster. */
export function ratio(subject: readonly number[], baseline: readonly number[]): number {
  return median(subject) / median(baseline);
}
