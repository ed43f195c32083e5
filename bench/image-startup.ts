// The envbox image's `docker run` → workspace up, against the same work by hand in an
// outer container made from the same image with the same flags. Both run on an outer dockerd of the
// bench's own (integration/harness/outer-daemon.ts), as coder/envbox's README one-liner does.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_STATUS_FILE } from '../core/engine/status/tracker.js';
import { EnvboxRun, Sandbox, type World } from '../integration/harness/index.js';
import { assertImageIsFresh, IMAGE_TAG, oneLinerFlags, startOuterDaemon, type OuterDaemon } from '../integration/harness/outer-daemon.js';
import { pullSecret } from '../integration/harness/scenario.js';
import { byHandScript, parseMark, type PlanDoc } from './lib/by-hand-script.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';
import { FACTS } from './spec-pipeline.js';
import { clockSplit, type ClockSplit } from './startup.js';

const BOOTSTRAP = 'echo ready';
const PASSWORD_VAR = 'REGISTRY_PASSWORD';
const PHASES = ['daemon', 'pull', 'create', 'bootstrap'] as const;
type Phase = (typeof PHASES)[number];
const RUN_TIMEOUT_MS = 180_000;

const IMAGE_HINT = 'build it with `npm run image` (as root), then `sudo npm run bench -- --only image-startup`';

/** The outer daemon and what every `docker run` on it needs. */
interface Outer {
  world: World;
  sandbox: Sandbox;
  daemon: OuterDaemon;
  /** The docker CLI's environment: its config dir and the secrets the flags name. */
  env: Record<string, string>;
  /** The one-liner's flags, with its volumes in a fresh dir of this run's own. */
  flags(dir: string): Promise<string[]>;
}

/** A fresh dir for one container's volumes, so each run starts with empty data roots. */
function volumesDir(o: Outer, name: string): string {
  return join(o.sandbox.paths.dir, 'image-startup', name);
}

function spawnDocker(o: Outer, args: string[]): ChildProcess {
  const [file, ...rest] = o.daemon.dockerArgv(args);
  return spawn(file!, rest, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Untimed: the container and its anonymous volumes go, then its volumes dir. */
async function remove(o: Outer, name: string): Promise<void> {
  const rmc = await o.daemon.docker(['rm', '-f', '-v', name], { timeoutMs: 60_000 });
  if (rmc.exitCode !== 0 && !/No such container/.test(rmc.stderr)) throw new Error(`docker rm -f -v ${name}: ${rmc.stderr.trim()}`);
  await rm(volumesDir(o, name), { recursive: true, force: true });
}

const roundName = (side: string, round: number) => `bench-image-${side}-${round < 0 ? `w${-round}` : `r${round}`}`;

/** `envbox plan` in an outer container with the same flags (untimed): the by-hand side follows it. */
async function planInImage(o: Outer): Promise<PlanDoc> {
  const name = 'bench-image-plan';
  try {
    const args = ['run', '--name', name, ...await o.flags(volumesDir(o, name)), '-e', `ENVBOX_IMAGE_FACTS=${JSON.stringify(FACTS)}`, IMAGE_TAG, '/envbox', 'plan'];
    const r = await o.daemon.docker(args, { env: o.env });
    if (r.exitCode !== 0) throw new Error(`/envbox plan in the image failed (${r.exitCode}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as PlanDoc;
  } finally {
    await remove(o, name);
  }
}

/** The lines of an attached `docker run` whose container is not envbox (the by-hand side). */
class AttachedRun {
  private readonly lines = { stdout: [] as string[], stderr: [] as string[] };
  private readonly readers: Record<'stdout' | 'stderr', ReturnType<typeof createInterface>>;
  /** Resolves after the CLI exited and its output was read to the end. */
  private readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess, readonly label: string) {
    this.readers = {
      stdout: createInterface({ input: child.stdout! }).on('line', (l) => this.lines.stdout.push(l)),
      stderr: createInterface({ input: child.stderr! }).on('line', (l) => this.lines.stderr.push(l)),
    };
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  /** Resolves with the first line of `stream` that matches; fails on the CLI's exit or after `timeoutMs`, with the output. */
  waitForLine(stream: 'stdout' | 'stderr', match: (line: string) => boolean, what: string, timeoutMs: number): Promise<string> {
    const seen = this.lines[stream].find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (line: string | Error) => {
        clearTimeout(timer);
        this.readers[stream].off('line', onLine);
        if (line instanceof Error) reject(line); else resolve(line);
      };
      const onLine = (l: string) => { if (match(l)) finish(l); };
      const timer = setTimeout(() => finish(new Error(`${this.label}: ${what} not seen after ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      this.readers[stream].on('line', onLine);
      void this.exited.then((code) => finish(new Error(`${this.label} exited (${code}) before ${what}\n${this.tail()}`)));
    });
  }

  marks(): Record<string, number> {
    return Object.fromEntries(this.lines.stderr.map(parseMark).filter((m) => m !== undefined).map((m) => [m.name, m.epochMs]));
  }

  tail(n = 30): string {
    return `--- stdout ---\n${this.lines.stdout.slice(-n).join('\n')}\n--- stderr ---\n${this.lines.stderr.slice(-n).join('\n')}`;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export interface ImageEnvboxSample {
  /** `docker run` spawn → the bootstrap's `ready` line in the container's output. */
  readyMs: number;
  /** `docker run` spawn → envbox's `done` line. */
  doneMs: number;
  /** envbox's own phases, ms, from its status file (the done line rounds them to 0.1 s). */
  phases: Record<Phase, number>;
  /** The done line itself. */
  doneLine: string;
  /** `docker run` spawn → envbox's clock; `exec` is the container's start up to node's time origin. */
  clock: ClockSplit;
}

/** The status file's phase names for the done line's. */
const STATUS_PHASES: Record<Phase, string> = { daemon: 'starting-daemon', pull: 'pulling', create: 'creating', bootstrap: 'bootstrapping' };

/** envbox's phases in ms from its status file's `durationsMs`; a phase it has not left is an error. */
export function statusPhases(status: { durationsMs: Partial<Record<string, number>> }): Record<Phase, number> {
  const missing = PHASES.filter((p) => status.durationsMs[STATUS_PHASES[p]] === undefined);
  if (missing.length > 0) throw new Error(`envbox's status file has no duration for ${missing.map((p) => STATUS_PHASES[p]).join(', ')}`);
  return Object.fromEntries(PHASES.map((p) => [p, status.durationsMs[STATUS_PHASES[p]]!])) as Record<Phase, number>;
}

/** `docker run` spawn → the by-hand script's first line (`container`), then each phase's end, ms. */
export type ByHandSplit = Record<'container' | Phase, number>;

/** Between marks: spawn → `start` is the container's start, then the time up to each phase's end. */
export function byHandSplit(spawnEpochMs: number, marks: Record<string, number>): ByHandSplit {
  const missing = ['start', ...PHASES].filter((m) => marks[m] === undefined);
  if (missing.length > 0) throw new Error(`the by-hand script printed no mark for ${missing.join(', ')}`);
  const at = (m: string) => marks[m]!;
  return {
    container: at('start') - spawnEpochMs, daemon: at('daemon') - at('start'), pull: at('pull') - at('daemon'),
    create: at('create') - at('pull'), bootstrap: at('bootstrap') - at('create'),
  };
}

async function envboxRound(o: Outer, round: number, samples: ImageEnvboxSample[]): Promise<number> {
  const name = roundName('envbox', round);
  const args = ['run', '--name', name, ...await o.flags(volumesDir(o, name)), IMAGE_TAG, '/envbox', 'docker'];
  const spawnEpochMs = Date.now();
  const start = performance.now();
  const run = new EnvboxRun(spawnDocker(o, args), join(volumesDir(o, name), 'no-dockerd-log'), `docker run ${IMAGE_TAG} /envbox docker (${name})`);
  try {
    const done = await run.waitForDone(RUN_TIMEOUT_MS);
    const doneMs = since(start);
    await run.waitForOutput(/^ready$/, 30_000);
    const readyMs = since(start);
    if (round >= 0) {
      const status = await o.daemon.docker(['exec', name, 'cat', DEFAULT_STATUS_FILE]);
      if (status.exitCode !== 0) throw new Error(`reading ${DEFAULT_STATUS_FILE} in ${name}: ${status.stderr.trim()}`);
      const file = JSON.parse(status.stdout) as Parameters<typeof clockSplit>[1] & Parameters<typeof statusPhases>[0];
      samples.push({ readyMs, doneMs, phases: statusPhases(file), doneLine: done.output, clock: clockSplit(spawnEpochMs, file) });
    }
    return readyMs;
  } finally {
    await remove(o, name);
    run.kill();
  }
}

async function byHandRound(o: Outer, round: number, script: string, splits: ByHandSplit[]): Promise<number> {
  const name = roundName('byhand', round);
  const args = ['run', '--name', name, ...await o.flags(volumesDir(o, name)), '-e', PASSWORD_VAR, '--entrypoint', '/bin/sh', IMAGE_TAG, '-c', script];
  const spawnEpochMs = Date.now();
  const start = performance.now();
  const run = new AttachedRun(spawnDocker(o, args), `docker run --entrypoint /bin/sh ${IMAGE_TAG} -c <by hand> (${name})`);
  try {
    await run.waitForLine('stdout', (l) => l === 'ready', 'the bootstrap\'s `ready` line', RUN_TIMEOUT_MS);
    const readyMs = since(start);
    // Printed just after `ready`, by the script's next line; not part of the time.
    await run.waitForLine('stderr', (l) => parseMark(l)?.name === 'bootstrap', 'the bootstrap mark', 10_000);
    const split = byHandSplit(spawnEpochMs, run.marks());
    if (round >= 0) splits.push(split);
    return readyMs;
  } finally {
    await remove(o, name);
    run.kill();
  }
}

const s = (ms: number, digits = 2) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(digits)} s`);
const ms = (x: number) => `${Math.round(x)} ms`;

export const imageStartupBench: Benchmark = {
  name: 'image-startup',
  summary: '`docker run` of the envbox image (the one-liner) to the bootstrap\'s `ready` line vs the same work by hand as the entrypoint of the same image, same flags [needs `npm run image`]',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    try {
      await assertImageIsFresh();
    } catch (error) {
      throw new Error(`image-startup needs the envbox image: ${(error as Error).message}\nHint: ${IMAGE_HINT}`, { cause: error });
    }
    const world = await ctx.world();
    const sandbox = await Sandbox.create(world, 'bench-image-startup');
    let daemon: OuterDaemon | undefined;
    try {
      ctx.progress('starting the outer dockerd and loading the image');
      daemon = await startOuterDaemon(world, sandbox);
      const o: Outer = {
        world, sandbox, daemon,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', DOCKER_CONFIG: sandbox.paths.dockerCliConfig,
          CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: daemon.registryHost }), CODER_AGENT_TOKEN: 'bench-agent-token',
          CODER_BOOTSTRAP_SCRIPT: BOOTSTRAP, [PASSWORD_VAR]: world.registry.password,
        },
        flags: (dir) => oneLinerFlags(world, sandbox, daemon!, dir),
      };
      const plan = await planInImage(o);
      const script = byHandScript(plan, { facts: FACTS, passwordVar: PASSWORD_VAR, bootstrapVar: 'CODER_BOOTSTRAP_SCRIPT', dockerdLog: '/var/log/dockerd.log' });

      const envbox: ImageEnvboxSample[] = [];
      const byHand: ByHandSplit[] = [];
      const samples = await interleave({
        rounds: ctx.rounds,
        warmup: ctx.warmup,
        onSample: (side, round, t) => ctx.progress(`round ${round}: ${side === 'baseline' ? 'by hand' : 'envbox'} ${(t / 1000).toFixed(2)} s`),
      }, (round) => byHandRound(o, round, script, byHand), (round) => envboxRound(o, round, envbox));

      const med = (pick: (x: ImageEnvboxSample) => number) => median(envbox.map(pick));
      const handPhase = (p: keyof ByHandSplit) => median(byHand.map((x) => x[p]));
      const clock = Object.fromEntries((['exec', 'node', 'modules', 'config', 'inputs', 'clock', 'total'] as const).map((k) => [k, med((x) => x.clock[k])])) as unknown as ClockSplit;
      const envboxPhases = Object.fromEntries(PHASES.map((p) => [p, med((x) => x.phases[p])])) as Record<Phase, number>;
      const doneMs = med((x) => x.doneMs);
      const readyMs = median(samples.subject);
      return {
        name: 'image-startup',
        baseline: { label: 'by hand in the image, `docker run` to `ready`', samplesMs: samples.baseline },
        subject: { label: 'envbox image, `docker run` to `ready`', samplesMs: samples.subject },
        notes: [
          'both sides: from spawning `docker run` (attached) on the outer dockerd to the bootstrap\'s `ready` line in the container\'s output; '
            + 'same flags (the one-liner\'s, fresh volumes each run), the by-hand side adds only --entrypoint /bin/sh and its registry password by name',
          `envbox (medians): container start → node ${ms(clock.exec)}, node → envbox's clock ${ms(clock.total - clock.exec)} `
            + `(node ${ms(clock.node)}, modules ${ms(clock.modules)}, config ${ms(clock.config)}, inputs ${ms(clock.inputs)}); `
            + `then ${PHASES.map((p) => `${p} ${s(envboxPhases[p])}`).join(', ')} (its status file; bootstrap ends at \`done\`, when the script has started); `
            + `done → the \`ready\` line ${ms(med((x) => x.readyMs - x.doneMs))}; \`docker run\` → done ${s(doneMs)}, → the \`ready\` line ${s(readyMs)}`,
          `by hand (medians): container start → the script ${ms(handPhase('container'))}, then ${PHASES.map((p) => `${p} ${s(handPhase(p))}`).join(', ')} `
            + '(daemon includes the CA copy and mkdirs; pull includes docker login; bootstrap is the two `docker exec`s, to `ready`)',
        ],
        details: {
          goals: { dockerRunToDoneMs: doneMs },
          clockSplitMs: clock, envboxPhasesMs: envboxPhases, byHandPhasesMs: Object.fromEntries((['container', ...PHASES] as const).map((p) => [p, handPhase(p)])),
          envboxSamples: envbox, byHandSplitsMs: byHand, byHandScript: script.split('\n'), image: IMAGE_TAG,
        },
      };
    } finally {
      await daemon?.stop();
      await sandbox.destroy();
    }
  },
};
