import assert from 'node:assert/strict';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Action } from '../core/actions.js';
import { ping, repoRoot, Sandbox, waitUntil, type World } from '../integration/harness/index.js';
import { installCa, pullSecret } from '../integration/harness/scenario.js';
import { actionScript } from './lib/action-script.js';
import { dockerRunArgs, type CreateBody } from './lib/docker-run-args.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
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

/** startup runs the built CLI; timing stale code would report figures for code that no longer exists. */
async function checkBuilt(): Promise<void> {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  const built = await stat(main).catch(() => { throw new Error(`${main} is missing: run \`npm run build\` first (startup runs the built CLI)`); });
  for (const dir of ['core', 'plugins']) {
    for (const file of await readdir(join(repoRoot, dir), { recursive: true })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      if ((await stat(join(repoRoot, dir, file))).mtimeMs > built.mtimeMs) {
        throw new Error(`${dir}/${file} is newer than ${main}: run \`npm run build\` first, so that startup times the current code`);
      }
    }
  }
}

interface PlanDoc {
  daemon: { managed: boolean; argv?: string[] };
  container: { name: string; create: CreateBody };
  actions: Action[];
}

/** `envbox plan` in the sandbox: the exact dockerd argv, create body and actions envbox would use there. */
async function planIn(sandbox: Sandbox, env: Record<string, string>): Promise<PlanDoc> {
  const plan = await sandbox.startEnvbox({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(FACTS) }, ['plan']);
  const status = await plan.waitForExit(60_000);
  if (status.code !== 0) throw new Error(`envbox plan failed (${status.code}):\n${plan.tail()}`);
  const doc = JSON.parse(plan.stdoutText()) as PlanDoc;
  if (!doc.daemon.managed || !doc.daemon.argv) throw new Error('envbox plan did not plan a managed dockerd');
  return doc;
}

/** spawn → build-log `done`, with envbox's own phase split from that line. */
async function envboxRound(world: World, round: number, splits: PhaseSplit[], overheads: number[]): Promise<number> {
  const sandbox = await Sandbox.create(world, `bench-startup-envbox-${round}`);
  let run: Awaited<ReturnType<Sandbox['startEnvbox']>> | undefined;
  try {
    const env = envboxEnv(world, sandbox, await installCa(sandbox, 'file'));
    const start = performance.now();
    run = await sandbox.startEnvbox(env);
    const done = await run.waitForDone(120_000);
    const ms = since(start);
    await run.waitForOutput(/^ready$/, 15_000);
    const split = parsePhaseSplit(done.output);
    if (round >= 0) {
      splits.push(split);
      overheads.push(ms - split.readyMs);
    }
    const status = await run.stop(60_000);
    assert.deepEqual(status, { code: 0, signal: null }, `envbox should exit 0 on SIGTERM\n${run.tail()}`);
    return ms;
  } finally {
    run?.kill();
    await sandbox.destroy();
  }
}

/** The same work by hand with the docker CLI, from the plan envbox makes for this very sandbox. */
async function byHandRound(world: World, round: number, splits: Record<Phase, number>[], commands: Record<string, unknown>): Promise<number> {
  const sandbox = await Sandbox.create(world, `bench-startup-byhand-${round}`);
  try {
    const env = envboxEnv(world, sandbox, await installCa(sandbox, 'file'));
    const plan = await planIn(sandbox, env);
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

export const startupBench: Benchmark = {
  name: 'startup',
  summary: '`envbox docker` spawn to `done` vs dockerd + login + pull + run + exec by hand (docker CLI), fresh sandbox each',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    await checkBuilt();
    const world = await ctx.world();
    const envboxSplits: PhaseSplit[] = [];
    const processOverheads: number[] = [];
    const byHandSplits: Record<Phase, number>[] = [];
    const byHandCommands: Record<string, unknown> = {};
    const samples = await interleave({
      rounds: ctx.rounds,
      warmup: ctx.warmup,
      onSample: (side, round, ms) => ctx.progress(`round ${round}: ${side} ${(ms / 1000).toFixed(2)} s`),
    }, (round) => byHandRound(world, round, byHandSplits, byHandCommands), (round) => envboxRound(world, round, envboxSplits, processOverheads));

    const envboxPhase = (p: Phase) => median(envboxSplits.map((x) => x[p] ?? 0));
    const byHandPhase = (p: Phase) => median(byHandSplits.map((x) => x[p]));
    const phaseMedians = Object.fromEntries(PHASES.map((p) => [p, { envbox: envboxPhase(p), byHand: byHandPhase(p) }]));
    return {
      name: 'startup',
      baseline: { label: 'dockerd+login+pull+run+exec by hand', samplesMs: samples.baseline },
      subject: { label: 'envbox docker (spawn to done)', samplesMs: samples.subject },
      notes: [
        `envbox's own split (medians of its done line): ready in ${s(median(envboxSplits.map((x) => x.readyMs)), 1)}: ${PHASES.map((p) => `${p} ${s(envboxPhase(p), 1)}`).join(', ')}; `
          + `plus ${s(median(processOverheads))} from spawn to its clock starting (node start, inputs, config)`,
        `by hand, same cut: ${PHASES.map((p) => `${p} ${s(byHandPhase(p))}`).join(', ')} (daemon includes the mkdir/chown/CA copy; pull includes docker login)`,
      ],
      details: { phaseMediansMs: phaseMedians, byHandCommands, envboxSplitsMs: envboxSplits, byHandSplitsMs: byHandSplits, processOverheadMs: processOverheads },
    };
  },
};
