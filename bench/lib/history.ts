import { appendFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { ratio } from './stats.js';
import { machineInfo } from './report.js';
import type { ReportEntry } from './report.js';

export interface HistoryLine {
  date: string;
  machine: string;
  load1: number;
  rounds: number;
  /** subject / baseline of the medians, per benchmark that ran. */
  ratios: Record<string, number>;
  /** The budgets that are not ratios (ms, MB), where a benchmark reports them. */
  goals: Record<string, number>;
  failed: string[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** One line per bench run: short enough that a regression shows as a diff in review. */
export function historyLine(entries: readonly ReportEntry[], meta: { startedAt: string; rounds: number; load1: number }): HistoryLine {
  const m = machineInfo();
  const ratios: Record<string, number> = {};
  const goals: Record<string, number> = {};
  for (const e of entries) {
    if (!e.result) continue;
    ratios[e.name] = round3(ratio(e.result.subject.samplesMs, e.result.baseline.samplesMs));
    const g = (e.result.details?.goals ?? {}) as Record<string, number>;
    for (const [k, v] of Object.entries(g)) goals[`${e.name}.${k}`] = round3(v);
  }
  return {
    date: meta.startedAt,
    machine: `${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, kernel ${m.kernel}, node ${m.node}`,
    load1: round3(meta.load1),
    rounds: meta.rounds,
    ratios,
    goals,
    failed: entries.filter((e) => !e.result).map((e) => e.name),
  };
}

export async function appendHistory(path: string, line: HistoryLine): Promise<void> {
  await appendFile(path, `${JSON.stringify(line)}\n`);
}

export const loadAverage = (): number => loadavg()[0] ?? Number.NaN;
