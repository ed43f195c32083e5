// The values envbox refuses early (exit 2) are the ones the real dockerd, runc and kernel
// refuse later, and the neighbours it accepts really work. Each case runs the container the way
// envbox would create it, on a userns-remapped dockerd, and asks envbox's own input checks too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareApp } from '../core/engine/app.js';
import { InputError } from '../core/kernel/errors.js';
import { runPlan } from '../core/engine/lifecycle/plan.js';
import { builtinPlugins } from '../plugins/index.js';
import { MemoryHost } from '../testing/memory-host.js';
import { createWorld, destroyWorld, Sandbox, type World } from './harness/index.js';

const FACTS = '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":true,"osReleaseId":"debian"}';

/** Whether envbox refuses these inputs before starting anything (an InputError, exit 2). */
async function envboxRefuses(env: Record<string, string>): Promise<boolean> {
  const full = {
    CODER_INNER_IMAGE: 'registry.test:5000/workspace:init', CODER_INNER_USERNAME: 'coder', ENVBOX_RUNTIME: 'runc',
    ENVBOX_IMAGE_FACTS: FACTS, ENVBOX_DOCKER_HOST: 'unix:///nonexistent.sock', ...env,
  };
  try {
    const app = await prepareApp({ mode: 'plan', argv: [], env: full, cwd: '/', host: new MemoryHost(full), stderr: { write: () => true }, builtins: builtinPlugins() });
    await runPlan(app, () => { throw new Error('no daemon needed'); });
    return false;
  } catch (error) {
    if (error instanceof InputError) return true;
    throw error;
  }
}

interface Case {
  what: string;
  /** The inputs as a user gives them. */
  env: Record<string, string>;
  /** `docker run` flags for the container envbox would create from them. */
  docker: (source: string) => string[];
}

const NAME = `w${'s'.repeat(64)}`;
const CASES: Case[] = [
  { what: 'a mount at /proc', env: { CODER_MOUNTS: '/srv/x:/proc' }, docker: (src) => ['-v', `${src}:/proc`] },
  { what: 'a mount below /proc', env: { CODER_MOUNTS: '/srv/x:/proc/envbox' }, docker: (src) => ['-v', `${src}:/proc/envbox`] },
  { what: 'a mount at /dev', env: { CODER_MOUNTS: '/srv/x:/dev' }, docker: (src) => ['-v', `${src}:/dev`] },
  { what: 'a mount at /dev/shm', env: { CODER_MOUNTS: '/srv/x:/dev/shm' }, docker: (src) => ['-v', `${src}:/dev/shm`] },
  { what: 'a mount at a new /dev/name', env: { CODER_MOUNTS: '/srv/x:/dev/envbox' }, docker: (src) => ['-v', `${src}:/dev/envbox`] },
  { what: 'a mount at a missing /sys path', env: { CODER_MOUNTS: '/srv/x:/sys/envbox' }, docker: (src) => ['-v', `${src}:/sys/envbox`] },
  { what: 'a mount at /etc/envbox', env: { CODER_MOUNTS: '/srv/x:/etc/envbox' }, docker: (src) => ['-v', `${src}:/etc/envbox`] },
  { what: 'a 64-character hostname', env: { CODER_INNER_HOSTNAME: `${'a'.repeat(31)}.${'b'.repeat(32)}` }, docker: () => ['--hostname', `${'a'.repeat(31)}.${'b'.repeat(32)}`] },
  { what: 'a 65-character hostname', env: { CODER_INNER_HOSTNAME: `${'a'.repeat(32)}.${'b'.repeat(32)}` }, docker: () => ['--hostname', `${'a'.repeat(32)}.${'b'.repeat(32)}`] },
  { what: 'a 1-character container name', env: { ENVBOX_CONTAINER_NAME: 'a' }, docker: () => ['--name', 'a', '--hostname', 'a'] },
  { what: 'a 2-character container name', env: { ENVBOX_CONTAINER_NAME: 'ab' }, docker: () => ['--name', 'ab', '--hostname', 'ab'] },
  { what: 'a 65-character container name as the hostname', env: { ENVBOX_CONTAINER_NAME: NAME }, docker: () => ['--name', NAME, '--hostname', NAME] },
  { what: 'the default name workspace_cvm as the hostname', env: {}, docker: () => ['--name', 'workspace_cvm', '--hostname', 'workspace_cvm'] },
  { what: 'CODER_CPUS=0.009 (quota 900 µs)', env: { CODER_CPUS: '0.009' }, docker: () => ['--cpu-period', '100000', '--cpu-quota', '900'] },
  { what: 'CODER_CPUS=0.01 (quota 1000 µs)', env: { CODER_CPUS: '0.01' }, docker: () => ['--cpu-period', '100000', '--cpu-quota', '1000'] },
  { what: 'CODER_CPUS=175921860 (the largest quota)', env: { CODER_CPUS: '175921860' }, docker: () => ['--cpu-period', '100000', '--cpu-quota', '17592186000000'] },
  { what: 'CODER_CPUS=175921861 (past the kernel\'s largest quota)', env: { CODER_CPUS: '175921861' }, docker: () => ['--cpu-period', '100000', '--cpu-quota', '17592186100000'] },
];

describe('input limits against the real dockerd', () => {
  let world: World;
  let sandbox: Sandbox;
  let source: string;
  before(async () => {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'input-limits');
    await sandbox.startDockerd(['--userns-remap=coder']);
    await sandbox.dockerOk(['import', world.tarballs.init, 'limits:init'], { timeoutMs: 60_000 });
    source = join(sandbox.paths.dir, 'bind-source');
    await mkdir(source, { recursive: true });
  });
  after(async () => {
    if (sandbox) await sandbox.destroy();
    if (world) await destroyWorld(world);
  });

  for (const c of CASES) {
    test(`${c.what}: envbox refuses it early exactly when dockerd fails it`, { timeout: 90_000 }, async () => {
      const run = await sandbox.docker(['run', '--rm', '--network', 'none', ...c.docker(source), 'limits:init', 'true'], { timeoutMs: 60_000 });
      const dockerFails = run.exitCode !== 0;
      assert.equal(await envboxRefuses(c.env), dockerFails,
        `dockerd ${dockerFails ? 'fails' : 'accepts'} it (exit ${run.exitCode}: ${(run.stderr || run.stdout).trim().split('\n')[0]}), envbox disagrees`);
    });
  }
});
