import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action, ActionSink } from '../core/kernel/actions.js';
import { prepareApp, type App } from '../core/engine/app.js';
import type { ImageFacts } from '../core/kernel/image-facts.js';
import {
  agentToken, containerName, idOffset, innerImage, runtime,
} from '../core/kernel/inputs/core-inputs.js';
import { innerEnvs } from '../plugins/env/inputs.js';
import { deviceDir } from '../core/kernel/device-node-plugin.js';
import { builtinPlugins } from '../plugins/index.js';
import { innerHostname, innerWorkDir } from '../plugins/workspace/inputs.js';
import type { MountSpec } from '../core/kernel/inputs/input-kinds.js';
import { planContainer } from '../core/engine/lifecycle/run-hooks.js';
import { declareDeviceNode, withDeviceNode, type DeviceNode } from '../core/kernel/container-spec/device.js';
import { withBind, withEnv, withEnvs, withHostConfig } from '../core/kernel/container-spec/edits.js';
import type { ContainerCreateBody } from '../core/kernel/container-spec/types.js';
import { filterEnv, mergeSubsystems } from '../plugins/env/index.js';
import { addFuse } from '../plugins/fuse/inputs.js';
import { mounts as mountsInput } from '../plugins/mounts/inputs.js';
import { effectiveMounts, isHomeDir, isPrivateTarget } from '../plugins/mounts/policy.js';
import { CPU_PERIOD } from '../plugins/resources/index.js';
import { cpus as cpusInput, memory as memoryInput } from '../plugins/resources/inputs.js';
import { addTun } from '../plugins/tun/inputs.js';
import { MemoryHost } from '../testing/memory-host.js';
import { interleave, since } from './lib/interleave.js';
import { median } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';

/** Calls per sample: enough that one sample is well above the timer's resolution. */
export const CALLS_PER_SAMPLE = 2000;

/** Every containerSpec feature on (no GPU: that one reads a driver tree, which is not hook cost). */
export const FULL_ENV: Record<string, string> = {
  CODER_INNER_IMAGE: 'registry.example.com/workspace:latest',
  CODER_INNER_USERNAME: 'coder',
  CODER_AGENT_TOKEN: 'bench-agent-token',
  CODER_AGENT_SUBSYSTEM: 'exectrace',
  ENVBOX_RUNTIME: 'runc',
  CODER_MOUNTS: '/home/coder:/home/coder,/var/lib/secrets:/var/secrets:ro,/opt/cache:/cache',
  CODER_ADD_FUSE: 'true',
  CODER_ADD_TUN: 'true',
  CODER_CPUS: '2',
  CODER_MEMORY: '4Gi',
  CODER_INNER_ENVS: 'KUBERNETES_*,HELLO,TEST_VAR',
  CODER_INNER_HOSTNAME: 'bench-host',
  KUBERNETES_PORT: '123',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
  HELLO: 'world',
  TEST_VAR: 'hello=world',
  UNRELATED: 'not passed on',
};

export const FACTS: ImageFacts = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };

/** The resolved inputs as plain values: what a hand-written function would be given. */
export interface PlainInputs {
  image: string;
  containerName: string;
  hostname: string | undefined;
  workDir: string | undefined;
  runtime: string;
  agentToken: string | undefined;
  hostEnv: Record<string, string>;
  envFilters: string[];
  cpus: number | undefined;
  memory: number | undefined;
  mounts: MountSpec[];
  idOffset: number;
  deviceDir: string;
  addFuse: boolean;
  addTun: boolean;
}

export function plainInputs(app: App): PlainInputs {
  const o = app.options;
  return {
    image: o.get(innerImage).raw,
    containerName: o.get(containerName),
    hostname: o.get(innerHostname),
    workDir: o.get(innerWorkDir),
    runtime: o.get(runtime),
    agentToken: o.get(agentToken),
    hostEnv: app.host.env,
    envFilters: o.get(innerEnvs),
    cpus: o.get(cpusInput),
    memory: o.get(memoryInput),
    mounts: o.get(mountsInput),
    idOffset: o.get(idOffset),
    deviceDir: o.get(deviceDir),
    addFuse: o.get(addFuse),
    addTun: o.get(addTun),
  };
}

/**
 * The built-in plugins' containerSpec edits, in their tap order, as one plain function over the
 * edits.ts helpers: no hooks, no contexts, no option lookups. It must produce exactly what
 * `planContainer` produces; the benchmark checks that before timing anything.
 */
export function plainContainerSpec(input: PlainInputs, facts: ImageFacts): { body: ContainerCreateBody; actions: Action[] } {
  const actions: Action[] = [];
  const sink = (plugin: string): ActionSink => ({ act: (a) => { actions.push({ ...a, plugin, hook: 'containerSpec' }); } });

  // workspace (BASE stage)
  let body: ContainerCreateBody = {
    Image: input.image,
    HostConfig: {},
    User: 'root',
    Hostname: input.hostname ?? input.containerName,
    ...(input.workDir ? { WorkingDir: input.workDir } : {}),
    Entrypoint: facts.hasInit ? ['/sbin/init'] : ['sleep', 'infinity'],
    Cmd: [],
    Tty: false,
  };
  body = withHostConfig(body, { ...(facts.hasInit ? {} : { Init: true }), Runtime: input.runtime, AutoRemove: true, ExtraHosts: ['host.docker.internal:host-gateway'] });

  // env
  body = withEnv(body, 'CODER_AGENT_TOKEN', input.agentToken ?? '');
  body = withEnv(body, 'CODER_AGENT_SUBSYSTEM', mergeSubsystems(input.hostEnv.CODER_AGENT_SUBSYSTEM));
  body = withEnvs(body, filterEnv(input.hostEnv, input.envFilters).filter(([name]) => name !== 'CODER_AGENT_SUBSYSTEM' && name !== 'CODER_AGENT_TOKEN'));

  // resources
  if (input.cpus !== undefined) body = withHostConfig(body, { CpuPeriod: CPU_PERIOD, CpuQuota: Math.round(input.cpus * CPU_PERIOD) });
  if (input.memory !== undefined) body = withHostConfig(body, { Memory: input.memory });

  // mounts
  const mountSink = sink('mounts');
  for (const mount of effectiveMounts(input.mounts)) {
    mountSink.act({ kind: 'mkdir', path: mount.source, mode: '0755' });
    if (!isPrivateTarget(mount.target)) {
      if (mount.readOnly) mountSink.act({ kind: 'remount', path: mount.source, options: 'rw' });
      mountSink.act({ kind: 'chmod', path: mount.source, mode: '02755' });
      const [uid, gid] = isHomeDir(mount.source) ? [input.idOffset + facts.uid, input.idOffset + facts.gid] : [input.idOffset, input.idOffset];
      mountSink.act({ kind: 'chown', path: mount.source, uid, gid });
    }
    body = withBind(body, { source: mount.source, target: mount.target, readOnly: mount.readOnly });
  }

  // fuse, tun
  const devices: [string, boolean, Omit<DeviceNode, 'hostPath'>, string][] = [
    ['fuse', input.addFuse, { containerPath: '/dev/fuse', major: 10, minor: 229 }, 'coder-fuse'],
    ['tun', input.addTun, { containerPath: '/dev/net/tun', major: 10, minor: 200 }, 'coder-tun'],
  ];
  for (const [plugin, wanted, node, file] of devices) {
    if (!wanted) continue;
    const full: DeviceNode = { ...node, hostPath: join(input.deviceDir, file) };
    declareDeviceNode(sink(plugin), full, input.idOffset);
    body = withDeviceNode(body, input.runtime, full);
  }
  return { body, actions };
}

export async function prepareBenchApp(env: Record<string, string> = FULL_ENV): Promise<{ app: App; cleanup: () => Promise<void> }> {
  // An empty cwd, so that no envbox.config.* of the checkout is picked up.
  const cwd = await mkdtemp(join(tmpdir(), 'envbox-bench-'));
  const app = await prepareApp({
    mode: 'plan', argv: [], env, cwd, host: new MemoryHost({ ...env }), stderr: { write: () => true }, builtins: builtinPlugins(),
  });
  return { app, cleanup: () => rm(cwd, { recursive: true, force: true }) };
}

export const specPipeline: Benchmark = {
  name: 'spec-pipeline',
  summary: `planContainer through every built-in plugin vs the same edits in a plain function (${CALLS_PER_SAMPLE} calls per sample)`,
  needsWorld: false,
  async run(ctx): Promise<BenchResult> {
    const { app, cleanup } = await prepareBenchApp();
    try {
      const input = plainInputs(app);
      const planned = await planContainer(app, FACTS);
      const plain = plainContainerSpec(input, FACTS);
      assert.deepEqual(plain.body, planned.body, 'the plain baseline no longer builds the body the plugins build; update bench/spec-pipeline.ts');
      assert.deepEqual(plain.actions, planned.actions, 'the plain baseline no longer declares the actions the plugins declare; update bench/spec-pipeline.ts');

      let sink = 0;
      const samples = await interleave({
        rounds: ctx.rounds,
        warmup: ctx.warmup,
      }, async () => {
        const start = performance.now();
        for (let i = 0; i < CALLS_PER_SAMPLE; i++) sink += plainContainerSpec(input, FACTS).actions.length;
        return since(start);
      }, async () => {
        const start = performance.now();
        for (let i = 0; i < CALLS_PER_SAMPLE; i++) sink += (await planContainer(app, FACTS)).actions.length;
        return since(start);
      });
      // Keeps the loops' results alive, so no optimizer can drop the work.
      if (sink === 0) throw new Error('no actions were declared');

      const perCallUs = (samples: number[]) => (median(samples) * 1000) / CALLS_PER_SAMPLE;
      const subjectUs = perCallUs(samples.subject);
      const baselineUs = perCallUs(samples.baseline);
      return {
        name: 'spec-pipeline',
        baseline: { label: `plain edits.ts calls x${CALLS_PER_SAMPLE}`, samplesMs: samples.baseline },
        subject: { label: `planContainer (hooks) x${CALLS_PER_SAMPLE}`, samplesMs: samples.subject },
        notes: [
          `per call: planContainer ${subjectUs.toFixed(1)} µs, plain edits ${baselineUs.toFixed(1)} µs; hook overhead ${(subjectUs - baselineUs).toFixed(1)} µs per container spec`,
          `${planned.body.HostConfig.Binds?.length ?? 0} binds, ${planned.body.Env?.length ?? 0} env vars, ${planned.actions.length} actions, ${app.plugins.length} plugins`,
        ],
        details: { callsPerSample: CALLS_PER_SAMPLE, perCallUs: { subject: subjectUs, baseline: baselineUs }, plugins: app.plugins.map((p) => p.name) },
      };
    } finally {
      await cleanup();
    }
  },
};
