import assert from 'node:assert/strict';
import { copyFile, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ping, Sandbox, waitUntil, type World } from '../integration/harness/index.js';
import { startStandInInSandbox } from '../integration/harness/coderd-in-sandbox.js';
import { installCa, pullSecret } from '../integration/harness/scenario.js';
import { cliBundle } from './lib/bundle.js';
import { actionScript } from './lib/action-script.js';
import { dockerRunArgs } from './lib/docker-run-args.js';
import type { PlanDoc } from './lib/by-hand-script.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { PlotBar } from './lib/phase-plot.js';
import type { Benchmark, BenchResult } from './lib/types.js';

const BOOTSTRAP = 'echo ready';
const FACTS = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };
const PHASES = ['daemon', 'pull', 'create', 'bootstrap'] as const;
type Phase = (typeof PHASES)[number];
type PhaseSplit = Partial<Record<Phase, number>> & { readyMs: number };

/** The inputs both sides honour: the TLS registry with CA and pull secret, limits, a home bind, a bootstrap. */
function envboxEnv(world: World, sandbox: Sandbox, caPath: string): Record<string, string> {
  return sandbox.envboxEnv({
    CODER_INNER_IMAGE: world.images.init,
    CODER_IMAGE_PULL_SECRET: pullSecret(world),
    CODER_EXTRA_CERTS_PATH: caPath,
    CODER_AGENT_TOKEN: 'bench-agent-token',
    CODER_MOUNTS: '/home/coder:/home/coder',
    CODER_CPUS: '1',
    CODER_MEMORY: '1073741824',
    CODER_BOOTSTRAP_SCRIPT: BOOTSTRAP,
  });
}

/** "ready in 3.2 s: daemon 0.7 s, pull 1.1 s, create 0.4 s, bootstrap 1.0 s" → milliseconds. */
export function parsePhaseSplit(line: string): PhaseSplit {
  const m = /^ready in ([\d.]+) s(?:: (.*))?$/.exec(line.trim());
  if (!m) throw new Error(`the done line is not envbox's timing summary: "${line}"`);
  const split: PhaseSplit = { readyMs: Number(m[1]) * 1000 };
  for (const part of (m[2] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const pm = /^(\w+) ([\d.]+) s$/.exec(part);
    if (!pm || !(PHASES as readonly string[]).includes(pm[1]!)) throw new Error(`unexpected phase "${part}" in "${line}"`);
    split[pm[1] as Phase] = Number(pm[2]) * 1000;
  }
  return split;
}

/** `envbox plan` in the sandbox: the exact dockerd argv, create body and actions envbox would use there. */
async function planIn(sandbox: Sandbox, env: Record<string, string>, main: string): Promise<PlanDoc> {
  const plan = await sandbox.startEnvbox({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(FACTS) }, ['plan'], [], { main });
  const status = await plan.waitForExit(60_000);
  if (status.code !== 0) throw new Error(`envbox plan failed (${status.code}):\n${plan.tail()}`);
  const doc = JSON.parse(plan.stdoutText()) as PlanDoc;
  if (!doc.daemon.managed || !doc.daemon.argv) throw new Error('envbox plan did not plan a managed dockerd');
  return doc;
}

/** From spawn to envbox's clock (status file's startedAt), split at the startup marks. */
export interface ClockSplit {
  /** spawn → node's time origin: exec through the sandbox's nsenter/unshare/sh, and node's own process start. */
  exec: number;
  /** time origin → cli/main.ts running (node's bootstrap, the main module loaded). */
  node: number;
  /** the command's modules (plugins, zod, tapable, pino, cosmiconfig) loaded. */
  modules: number;
  /** the config file searched for and loaded. */
  config: number;
  /** inputs resolved and the configure hook run. */
  inputs: number;
  /** the rest, until the StatusTracker starts envbox's clock. */
  clock: number;
  total: number;
}

export function clockSplit(spawnEpochMs: number, status: { startedAt: string; startup?: { timeOrigin: number; marks: Partial<Record<string, number>> } }): ClockSplit {
  const clockAt = Date.parse(status.startedAt);
  const origin = status.startup?.timeOrigin ?? Number.NaN;
  const m = status.startup?.marks ?? {};
  const at = (mark: string) => origin + (m[mark] ?? Number.NaN);
  return {
    exec: origin - spawnEpochMs,
    node: at('main') - origin,
    modules: at('modules') - at('main'),
    config: at('config') - at('modules'),
    inputs: at('inputs') - at('config'),
    clock: clockAt - at('inputs'),
    total: clockAt - spawnEpochMs,
  };
}

/** "stopped in 4.31 s: shutdown hooks 0.00 s, bootstrap 0.02 s, container 4.12 s, daemons 0.16 s" → ms by step. */
export function parseStopLine(line: string): Record<string, number> {
  const m = /^stopped in ([\d.]+) s: (.*)$/.exec(line.trim());
  if (!m) throw new Error(`not envbox's stop line: "${line}"`);
  const steps: Record<string, number> = { total: Number(m[1]) * 1000 };
  for (const part of m[2]!.split(', ')) {
    const pm = /^(.+) ([\d.]+) s$/.exec(part);
    if (!pm) throw new Error(`unexpected stop step "${part}" in "${line}"`);
    steps[pm[1]!] = Number(pm[2]) * 1000;
  }
  return steps;
}

/** What the workspace's own processes take to stop; the rest of SIGTERM → exit is envbox's share. */
export function stopShares(sigtermToExitMs: number, steps: Record<string, number>): { total: number; workspace: number; envbox: number } {
  const workspace = (steps.bootstrap ?? 0) + (steps.container ?? 0);
  return { total: sigtermToExitMs, workspace, envbox: sigtermToExitMs - workspace };
}

export interface EnvboxSample {
  /** spawn → the bootstrap's `ready` line (the cut the by-hand side uses too). */
  readyLineMs: number;
  /** spawn → the build log's `done` line (the bootstrap started, not finished). */
  doneMs: number;
  split: PhaseSplit;
  clock: ClockSplit;
  /** A bare `node -e 0` through the same sandbox spawn, just before: spawn → exit. */
  bareNodeMs: number;
  /** The supervisor, idle after the start, Coder log sink active. */
  rssKb: number;
  peakRssKb: number;
  stop: { total: number; workspace: number; envbox: number; steps: Record<string, number> };
}

/** kB from /proc/PID/status (VmRSS, VmHWM). */
async function memoryOf(pid: number): Promise<{ rssKb: number; peakRssKb: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
}

/** spawn → exit of `node -e 0`, spawned exactly as envbox is (nsenter, unshare, sh, node). */
async function bareNode(sandbox: Sandbox): Promise<number> {
  const start = performance.now();
  const child = sandbox.spawn('node -e 0', [process.execPath, '-e', '0']);
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return since(start);
}

const IDLE_BEFORE_RSS_MS = 5_000;

/** BENCH_ENVBOX_NODE_OPTIONS: node flags for envbox only (e.g. --max-semi-space-size=1), to measure them. */
function nodeOptions(): Record<string, string> {
  const flags = process.env.BENCH_ENVBOX_NODE_OPTIONS;
  return flags ? { NODE_OPTIONS: flags } : {};
}

/**
 * One envbox run, timed through the bundle: spawn → the bootstrap's `ready` line; then idle
 * memory with the Coder log sink streaming to the stand-in; then SIGTERM → exit.
 */
export async function envboxRound(world: World, round: number, main: string, samples: EnvboxSample[], image: 'init' | 'noinit' = 'init'): Promise<number> {
  const sandbox = await Sandbox.create(world, `bench-startup-envbox-${image}-${round}`);
  let run: Awaited<ReturnType<Sandbox['startEnvbox']>> | undefined;
  let coderd: Awaited<ReturnType<typeof startStandInInSandbox>> | undefined;
  try {
    const token = 'bench-agent-token';
    coderd = await startStandInInSandbox(sandbox, token);
    const certs = await installCa(sandbox, 'dir');
    await copyFile(coderd.ca.caPath, join(sandbox.paths.varLib, 'envbox-certs', 'coderd-ca.crt'));
    const env = { ...envboxEnv(world, sandbox, certs), CODER_INNER_IMAGE: world.images[image], CODER_AGENT_URL: coderd.url, CODER_AGENT_TOKEN: token, ...nodeOptions() };
    const bareNodeMs = await bareNode(sandbox);

    const spawnEpochMs = Date.now();
    const start = performance.now();
    // From / as in a pod (the image has no WORKDIR): from the repository, the config search would
    // find its package.json and load cosmiconfig, which no pod does.
    run = await sandbox.startEnvbox(env, ['docker'], [], { main, cwd: '/' });
    const done = await run.waitForDone(120_000);
    const doneMs = since(start);
    await run.waitForOutput(/^ready$/, 15_000);
    const readyLineMs = since(start);

    const status = JSON.parse(await readFile(sandbox.paths.statusFile, 'utf8')) as Parameters<typeof clockSplit>[1];
    await new Promise((r) => setTimeout(r, IDLE_BEFORE_RSS_MS));
    const memory = await memoryOf(run.pid);

    const stopStart = performance.now();
    const exit = await run.stop(60_000);
    const stopMs = since(stopStart);
    assert.deepEqual(exit, { code: 0, signal: null }, `envbox should exit 0 on SIGTERM\n${run.tail()}`);
    const stopLine = run.buildLog().find((l) => /^stopped in /.test(l.output));
    if (!stopLine) throw new Error(`envbox logged no stop phases\n${run.tail()}`);
    const steps = parseStopLine(stopLine.output);
    if (round >= 0) {
      samples.push({
        readyLineMs, doneMs, split: parsePhaseSplit(done.output), clock: clockSplit(spawnEpochMs, status), bareNodeMs, ...memory,
        stop: { ...stopShares(stopMs, steps), steps },
      });
    }
    return readyLineMs;
  } finally {
    run?.kill();
    coderd?.child.kill();
    await sandbox.destroy();
  }
}

/** The same work by hand with the docker CLI, from the plan envbox makes for this very sandbox. */
async function byHandRound(world: World, round: number, main: string, splits: Record<Phase, number>[], commands: Record<string, unknown>): Promise<number> {
  const sandbox = await Sandbox.create(world, `bench-startup-byhand-${round}`);
  try {
    const env = envboxEnv(world, sandbox, await installCa(sandbox, 'file'));
    const plan = await planIn(sandbox, env, main);
    const name = plan.container.name;
    // plan redacts the token; a person types the real one.
    const body = { ...plan.container.create, Env: (plan.container.create.Env ?? []).map((e) => (e.startsWith('CODER_AGENT_TOKEN=') ? `CODER_AGENT_TOKEN=${env.CODER_AGENT_TOKEN}` : e)) };
    const runArgs = dockerRunArgs(name, body);
    const script = actionScript(plan.actions);
    const log = await open(join(sandbox.paths.dir, 'harness-dockerd.log'), 'a');
    if (round >= 0 && commands.dockerd === undefined) Object.assign(commands, { dockerd: plan.daemon.argv, dockerRun: runArgs, actions: script.split('\n') });

    const t0 = performance.now();
    // mkdir/chown the bind sources, copy the CA into certs.d: what envbox's actions do.
    const actions = await sandbox.exec(['sh', '-c', script]);
    if (actions.exitCode !== 0) throw new Error(`the actions script failed: ${actions.stderr}\n${script}`);
    const dockerd = sandbox.spawn('harness dockerd (bench by hand)', plan.daemon.argv!, { stdoutFile: log.fd });
    await log.close();
    const up = await waitUntil(async () => dockerd.exitCode !== null || (await ping(sandbox.paths.socket)), 60_000, 50);
    if (!up || dockerd.exitCode !== null) throw new Error(`dockerd did not come up (exit ${dockerd.exitCode}); see ${sandbox.paths.dir}/harness-dockerd.log`);
    const t1 = performance.now();
    await sandbox.dockerOk(['login', '-u', world.registry.username, '--password-stdin', world.registry.host], { input: world.registry.password });
    await sandbox.dockerOk(['pull', world.images.init], { timeoutMs: 60_000 });
    const t2 = performance.now();
    await sandbox.dockerOk(['run', '-d', ...runArgs]);
    const t3 = performance.now();
    // envbox's workspace plugin makes $HOME/.coder first; then the bootstrap, as the image user.
    await sandbox.dockerOk(['exec', '-u', String(FACTS.uid), name, 'mkdir', '-p', `${FACTS.home}/.coder`]);
    const out = await sandbox.dockerOk(['exec', '-i', '-u', String(FACTS.uid), '-e', `BINARY_DIR=${FACTS.home}/.coder`, name, '/bin/sh', '-s'], { input: BOOTSTRAP });
    const t4 = performance.now();
    assert.equal(out.trim(), 'ready', 'the bootstrap script ran');
    if (round >= 0) splits.push({ daemon: t1 - t0, pull: t2 - t1, create: t3 - t2, bootstrap: t4 - t3 });

    await sandbox.dockerOk(['rm', '-f', name]);
    return t4 - t0;
  } finally {
    await sandbox.destroy();
  }
}

/** Seconds; envbox's done line has a resolution of 0.1 s, so its figures get one decimal. */
const s = (ms: number | undefined, digits = 2) => (ms === undefined || Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(digits)} s`);

const ms = (x: number) => `${Math.round(x)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

export const startupBench: Benchmark = {
  name: 'startup',
  summary: '`envbox docker` (bundle) spawn to the bootstrap\'s `ready` line vs dockerd + login + pull + run + exec by hand (docker CLI) to the same line; then idle RSS and SIGTERM → exit',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    const main = await cliBundle();
    const world = await ctx.world();
    const envbox: EnvboxSample[] = [];
    const byHandSplits: Record<Phase, number>[] = [];
    const byHandCommands: Record<string, unknown> = {};
    const samples = await interleave({
      rounds: ctx.rounds,
      warmup: ctx.warmup,
      onSample: (side, round, t) => ctx.progress(`round ${round}: ${side} ${(t / 1000).toFixed(2)} s`),
    }, (round) => byHandRound(world, round, main, byHandSplits, byHandCommands), (round) => envboxRound(world, round, main, envbox));

    const med = (pick: (x: EnvboxSample) => number) => median(envbox.map(pick));
    const envboxPhase = (p: Phase) => med((x) => x.split[p] ?? 0);
    const byHandPhase = (p: Phase) => median(byHandSplits.map((x) => x[p]));
    const phaseMedians = Object.fromEntries(PHASES.map((p) => [p, { envbox: envboxPhase(p), byHand: byHandPhase(p) }]));
    const clock = Object.fromEntries((['exec', 'node', 'modules', 'config', 'inputs', 'clock', 'total'] as const).map((k) => [k, med((x) => x.clock[k])])) as unknown as ClockSplit;
    const bareNodeMs = med((x) => x.bareNodeMs);
    const stop = { total: med((x) => x.stop.total), workspace: med((x) => x.stop.workspace), envbox: med((x) => x.stop.envbox) };
    const stopSteps = Object.fromEntries(Object.keys(envbox[0]?.stop.steps ?? {}).map((k) => [k, med((x) => x.stop.steps[k] ?? 0)]));
    const phasesEnvbox = PHASES.reduce((sum, p) => sum + envboxPhase(p), 0);
    const plot: PlotBar[] = [
      { label: 'by hand', segments: PHASES.map((p) => ({ name: p, ms: byHandPhase(p) })) },
      {
        label: 'envbox (bundle)',
        segments: [
          { name: 'process', ms: clock.total },
          ...PHASES.map((p) => ({ name: p, ms: envboxPhase(p) })),
          { name: 'to ready line', ms: Math.max(0, median(samples.subject) - clock.total - phasesEnvbox) },
        ],
      },
    ];
    const goals = {
      startupRatio: median(samples.subject) / median(samples.baseline),
      spawnToClockMinusBareNodeMs: clock.total - bareNodeMs,
      idleRssMb: med((x) => x.rssKb) / 1024,
      stopEnvboxShareMs: stop.envbox,
    };
    return {
      name: 'startup',
      baseline: { label: 'by hand, to `ready`', samplesMs: samples.baseline },
      subject: { label: 'envbox (bundle), to `ready`', samplesMs: samples.subject },
      notes: [
        'both sides cut at the bootstrap\'s `ready` line (by hand: `docker exec` of `echo ready` returns; envbox: its build log shows the line)',
        `envbox's done line (medians): ready in ${s(med((x) => x.split.readyMs), 1)}: ${PHASES.map((p) => `${p} ${s(envboxPhase(p), 1)}`).join(', ')}; spawn → done ${s(med((x) => x.doneMs))}`,
        `by hand, same phases: ${PHASES.map((p) => `${p} ${s(byHandPhase(p))}`).join(', ')} (daemon includes the mkdir/chown/CA copy; pull includes docker login; bootstrap runs to \`ready\`)`,
        `spawn → envbox's clock ${ms(clock.total)} against a bare \`node -e 0\` ${ms(bareNodeMs)} through the same sandbox spawn (+${ms(clock.total - bareNodeMs)}): `
          + `exec ${ms(clock.exec)}, node ${ms(clock.node)}, modules ${ms(clock.modules)}, config ${ms(clock.config)}, inputs ${ms(clock.inputs)}, to the clock ${ms(clock.clock)}`,
        `idle supervisor (${IDLE_BEFORE_RSS_MS / 1000} s after ready, Coder log sink streaming to the stand-in): RSS ${mb(med((x) => x.rssKb))}, peak ${mb(med((x) => x.peakRssKb))}`,
        `SIGTERM → exit (image with /sbin/init): ${s(stop.total)}; the workspace's own processes ${s(stop.workspace)} (bootstrap + container stop), envbox's share ${s(stop.envbox)}; `
          + `steps: ${Object.entries(stopSteps).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${s(v)}`).join(', ')}`,
      ],
      details: {
        goals, plot, phaseMediansMs: phaseMedians, clockSplitMs: clock, bareNodeMs, stopMs: { ...stop, steps: stopSteps },
        byHandCommands, envboxSamples: envbox, byHandSplitsMs: byHandSplits, bundle: main, envboxNodeOptions: process.env.BENCH_ENVBOX_NODE_OPTIONS ?? null,
      },
    };
  },
};
