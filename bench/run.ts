// `npm run bench [-- --rounds N] [--warmup N] [--only NAME[,NAME]]`: runs the benchmarks, prints
// medians, p90s and subject/baseline ratios, and writes bench/results/latest.json.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planBench, versionBench } from './cli-start.js';
import { probeBench } from './probe.js';
import { gpuWalkBench } from './gpu-walk.js';
import { envGrowthBench, mountsGrowthBench, passwdGrowthBench } from './growth.js';
import { imageFactsBench } from './image-facts.js';
import { appendHistory, historyLine, loadAverage } from './lib/history.js';
import { phasePlotSvg, type PlotBar } from './lib/phase-plot.js';
import { formatTable, writeJson, type ReportEntry } from './lib/report.js';
import type { Benchmark, BenchContext } from './lib/types.js';
import { LazyWorld } from './lib/world.js';
import { specPipeline } from './spec-pipeline.js';
import { startupBench } from './startup.js';
import { stopBench } from './stop.js';
import { homeChownAgainBench, homeChownBench } from './home-chown.js';
import { cachedStartBench } from './cached-start.js';
import { imageStartupBench } from './image-startup.js';

const BENCHMARKS: readonly Benchmark[] = [
  imageFactsBench, startupBench, stopBench, versionBench, planBench, probeBench, specPipeline, gpuWalkBench, mountsGrowthBench, envGrowthBench,
  passwdGrowthBench, homeChownBench, homeChownAgainBench, cachedStartBench, imageStartupBench,
];
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(BENCH_DIR, 'results', 'latest.json');
/** Committed: one line per run (date, machine, load, ratios, budgets), so a regression shows in review. */
const HISTORY = join(BENCH_DIR, 'history.jsonl');
const PLOT = join(BENCH_DIR, 'results', 'startup-phases.svg');

const USAGE = `usage: npm run bench -- [--rounds N] [--warmup N] [--only NAME[,NAME...]]

  --rounds N   measured rounds per benchmark, each running baseline then subject (default 7)
  --warmup N   rounds run first and discarded (default 1)
  --only NAME  run only these benchmarks (repeatable or comma-separated)

benchmarks:
${BENCHMARKS.map((b) => `  ${b.name.padEnd(14)} ${b.summary}${b.needsWorld ? ' [root + test world]' : ''}`).join('\n')}

Results: a table on stdout, ${RESULTS} (every sample), a line appended to ${HISTORY}
(committed: date, machine, load, ratios) and, with startup, ${PLOT}.`;

function positiveInt(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function parse(argv: string[]): { rounds: number; warmup: number; only: Benchmark[] } | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: 'string' }, warmup: { type: 'string' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const names = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  return {
    rounds: positiveInt('--rounds', values.rounds, 7, 1),
    warmup: positiveInt('--warmup', values.warmup, 1, 0),
    only: names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : [...BENCHMARKS],
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const world = new LazyWorld();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${signal}; removing the test world...\n`);
    world.destroy().catch((e: Error) => process.stderr.write(`bench: ${e.message}\n`)).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const startedAt = new Date();
  const load1 = loadAverage();
  const entries: ReportEntry[] = [];
  try {
    for (const bench of options.only) {
      const ctx: BenchContext = {
        rounds: options.rounds,
        warmup: options.warmup,
        world: () => world.get(bench.name),
        progress: (line) => process.stderr.write(`[${bench.name}] ${line}\n`),
      };
      process.stderr.write(`[${bench.name}] ${bench.summary}; ${options.warmup} warm-up + ${options.rounds} rounds\n`);
      const began = performance.now();
      try {
        const result = await bench.run(ctx);
        entries.push({ name: bench.name, summary: bench.summary, result });
        process.stderr.write(`[${bench.name}] done in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        entries.push({ name: bench.name, summary: bench.summary, error: message });
        process.stderr.write(`[${bench.name}] FAILED: ${message}\n`);
      }
    }
  } finally {
    await world.destroy().catch((e: Error) => {
      process.stderr.write(`bench: cleaning up the test world: ${e.message}\n`);
    });
  }

  const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
  process.stdout.write(`\n${formatTable(entries)}\n`);
  let written = true;
  try {
    await writeJson(RESULTS, entries, { startedAt: startedAt.toISOString(), rounds: options.rounds, warmup: options.warmup, wallSeconds });
    process.stdout.write(`\nwrote ${RESULTS} (${wallSeconds.toFixed(0)} s in all)\n`);
  } catch (error) {
    written = false;
    process.stderr.write(`\nbench: could not write ${RESULTS}: ${(error as Error).message}\n`);
  }
  try {
    await appendHistory(HISTORY, historyLine(entries, { startedAt: startedAt.toISOString(), rounds: options.rounds, load1 }));
    process.stdout.write(`appended a line to ${HISTORY} (load average ${load1.toFixed(2)} at the start)\n`);
    const startup = entries.find((e) => e.name === 'startup')?.result;
    const bars = startup?.details?.plot as PlotBar[] | undefined;
    if (bars) {
      await writeFile(PLOT, phasePlotSvg(`startup phases, medians of ${options.rounds} rounds (${startedAt.toISOString().slice(0, 10)})`, bars,
        'envbox: process = spawn to its clock; phases from its done line (0.1 s steps); both sides end at the bootstrap\'s `ready` line'));
      process.stdout.write(`wrote ${PLOT}\n`);
    }
  } catch (error) {
    written = false;
    process.stderr.write(`\nbench: could not write the history or the plot: ${(error as Error).message}\n`);
  }
  const failed = entries.filter((e) => !e.result);
  if (failed.length > 0) process.stderr.write(`\nbench: ${failed.length} benchmark(s) failed: ${failed.map((e) => e.name).join(', ')}\n`);
  return failed.length > 0 || !written ? 1 : 0;
}

process.exitCode = await main();
