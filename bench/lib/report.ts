import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { ratio, summarize, type Summary } from './stats.js';
import type { BenchResult } from './types.js';

export interface ReportEntry {
  name: string;
  summary: string;
  result?: BenchResult;
  error?: string;
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, col) => Math.max(...cells.map((row) => row[col]!.length)));
  return cells.map((row) => row.map((cell, col) => (col >= 2 && col <= 5 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join('  ').trimEnd()).join('\n');
}

/** The table: one row per side, the ratio on the subject's row, then each benchmark's notes. */
export function formatTable(entries: readonly ReportEntry[]): string {
  const rows: string[][] = [['benchmark', 'side', 'median ms', 'p90 ms', 'n', 'ratio', 'label']];
  const notes: string[] = [];
  for (const entry of entries) {
    if (!entry.result) {
      rows.push([entry.name, 'FAILED', '-', '-', '-', '-', 'see below']);
      notes.push(`${entry.name}: FAILED: ${entry.error ?? 'unknown error'}`);
      continue;
    }
    const r = entry.result;
    const b = summarize(r.baseline.samplesMs);
    const s = summarize(r.subject.samplesMs);
    rows.push([r.name, 'baseline', ms(b.medianMs), ms(b.p90Ms), String(b.n), '', r.baseline.label]);
    rows.push(['', 'subject', ms(s.medianMs), ms(s.p90Ms), String(s.n), `${ratio(r.subject.samplesMs, r.baseline.samplesMs).toFixed(2)}x`, r.subject.label]);
    for (const note of r.notes ?? []) notes.push(`${r.name}: ${note}`);
  }
  return [pad(rows), '', 'ratio = median(subject) / median(baseline); below 1.00x the subject is faster.', ...notes].join('\n');
}

export interface MachineInfo {
  hostname: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    hostname: hostname(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}

interface JsonBench {
  name: string;
  summary: string;
  error?: string;
  ratio?: number;
  baseline?: { label: string; samplesMs: number[] } & Summary;
  subject?: { label: string; samplesMs: number[] } & Summary;
  notes?: string[];
  details?: Record<string, unknown>;
}

export async function writeJson(path: string, entries: readonly ReportEntry[], meta: { startedAt: string; rounds: number; warmup: number; wallSeconds: number }): Promise<void> {
  const benchmarks: JsonBench[] = entries.map((e) => {
    if (!e.result) return { name: e.name, summary: e.summary, error: e.error ?? 'unknown error' };
    const r = e.result;
    return {
      name: r.name,
      summary: e.summary,
      ratio: ratio(r.subject.samplesMs, r.baseline.samplesMs),
      baseline: { ...r.baseline, ...summarize(r.baseline.samplesMs) },
      subject: { ...r.subject, ...summarize(r.subject.samplesMs) },
      ...(r.notes ? { notes: r.notes } : {}),
      ...(r.details ? { details: r.details } : {}),
    };
  });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ ...meta, machine: machineInfo(), benchmarks }, null, 2)}\n`);
}
