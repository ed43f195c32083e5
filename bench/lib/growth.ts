import { interleave } from './interleave.js';
import { median } from './stats.js';
import type { BenchContext, BenchResult } from './types.js';

/** One size on a curve: its baseline and subject samples, per call. */
export interface CurvePoint {
  size: number;
  baselineMs: number[];
  subjectMs: number[];
}

export interface CurveSide {
  /** One timed sample; it may call the work several times and divide. */
  run(): Promise<number>;
}

export interface Curve {
  /** What the size counts: "mounts", "lines", "files". */
  unit: string;
  baseline: string;
  subject: string;
}

/**
 * Runs baseline and subject alternately at each size, the same interleaving as every other
 * benchmark, so a curve is a row of ordinary ratios. `prepare` builds a size's input outside the timing.
 */
export async function runCurve(ctx: BenchContext, sizes: readonly number[], prepare: (size: number) => Promise<{ baseline: CurveSide; subject: CurveSide; cleanup?: () => Promise<void> }>): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (const size of sizes) {
    const sides = await prepare(size);
    try {
      const samples = await interleave({ rounds: ctx.rounds, warmup: ctx.warmup }, () => sides.baseline.run(), () => sides.subject.run());
      points.push({ size, baselineMs: samples.baseline, subjectMs: samples.subject });
      ctx.progress(`${size}: baseline ${median(samples.baseline).toFixed(3)} ms, subject ${median(samples.subject).toFixed(3)} ms`);
    } finally {
      await sides.cleanup?.();
    }
  }
  return points;
}

/** Times `calls` calls of `work` and returns the time of one, so that fast work is above the timer's resolution. */
export function perCall(calls: number, work: () => unknown): CurveSide {
  return {
    async run() {
      const start = performance.now();
      for (let i = 0; i < calls; i++) await work();
      return (performance.now() - start) / calls;
    },
  };
}

function fixed(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(4);
}

/** The curve as table rows for the bench output: size, both medians, the ratio, and the subject's cost per unit. */
export function curveTable(curve: Curve, points: readonly CurvePoint[]): string[] {
  const rows = [[curve.unit, `${curve.baseline} ms`, `${curve.subject} ms`, 'ratio', `µs per ${curve.unit.replace(/s$/, '')}`]];
  for (const p of points) {
    const [b, s] = [median(p.baselineMs), median(p.subjectMs)];
    rows.push([String(p.size), fixed(b), fixed(s), `${(s / b).toFixed(2)}x`, ((s * 1000) / p.size).toFixed(2)]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => cell.padStart(widths[col]!)).join('  '));
}

/** The largest size is the headline; the whole curve goes in the notes and in latest.json. */
export function curveResult(name: string, curve: Curve, points: readonly CurvePoint[], notes: string[] = []): BenchResult {
  const last = points.at(-1)!;
  return {
    name,
    baseline: { label: `${curve.baseline}, ${last.size} ${curve.unit} (ms per call)`, samplesMs: last.baselineMs },
    subject: { label: `${curve.subject}, ${last.size} ${curve.unit} (ms per call)`, samplesMs: last.subjectMs },
    notes: [...notes, ...curveTable(curve, points)],
    details: {
      curve: { ...curve, points: points.map((p) => ({ size: p.size, baselineMedianMs: median(p.baselineMs), subjectMedianMs: median(p.subjectMs), baselineMs: p.baselineMs, subjectMs: p.subjectMs })) },
    },
  };
}
