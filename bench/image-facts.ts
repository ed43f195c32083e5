import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { DockerodeClient } from '../core/engine/docker/dockerode-client.js';
import type { ImageFacts } from '../core/kernel/image-facts.js';
import { findPasswdEntry, osReleaseId, resolveImageFacts } from '../core/engine/read-image-facts.js';
import { silentLogger } from '../core/engine/log/logger.js';
import { Sandbox } from '../integration/harness/index.js';
import { execIn } from './lib/docker-exec.js';
import { interleave, since } from './lib/interleave.js';
import type { Benchmark, BenchResult } from './lib/types.js';

const USERNAME = 'coder';
const RUNTIME = 'runc';

/**
 * What coder/envbox (Go) did: create a `sleep infinity` container, START it, inspect it, then
 * exec `stat /sbin/init`, `getent passwd <user>` and `cat /etc/os-release` one after another,
 * then force-remove it. The busybox test image has no getent, so `grep ^<user>: /etc/passwd`
 * stands in for it (the same one-line answer).
 */
export async function factsByStartAndExec(docker: Docker, image: string, username: string, runtime: string, name: string): Promise<ImageFacts> {
  const container = await docker.createContainer({ name, Image: image, Entrypoint: ['sleep'], Cmd: ['infinity'], HostConfig: { Runtime: runtime } });
  try {
    await container.start();
    await container.inspect();
    const init = await execIn(docker, container, ['stat', '/sbin/init']);
    const passwd = await execIn(docker, container, ['grep', `^${username}:`, '/etc/passwd']);
    if (passwd.exitCode !== 0) throw new Error(`no passwd entry for ${username}: ${passwd.stderr}`);
    const entry = findPasswdEntry(passwd.stdout, username);
    if (!entry) throw new Error(`unparsable passwd entry: ${passwd.stdout}`);
    const osRelease = await execIn(docker, container, ['cat', '/etc/os-release']);
    return { ...entry, hasInit: init.exitCode === 0, osReleaseId: osReleaseId(osRelease.exitCode === 0 ? osRelease.stdout : null) };
  } finally {
    await container.remove({ force: true });
  }
}

export const imageFactsBench: Benchmark = {
  name: 'image-facts',
  summary: 'resolveImageFacts (create, archive reads, remove) vs create + start + 3 execs + remove (coder/envbox)',
  needsWorld: true,
  async run(ctx): Promise<BenchResult> {
    const world = await ctx.world();
    const sandbox = await Sandbox.create(world, 'bench-image-facts', { trustRegistryCa: true });
    try {
      // envbox's own daemon shape: userns-remapped, so both sides pay for id-shifted layers alike.
      await sandbox.startDockerd(['--userns-remap=coder']);
      await sandbox.dockerOk(['login', '-u', world.registry.username, '--password-stdin', world.registry.host], { input: world.registry.password });
      const image = world.images.init;
      await sandbox.dockerOk(['pull', image], { timeoutMs: 60_000 });

      const docker = new Docker({ socketPath: sandbox.paths.socket });
      const client = new DockerodeClient(`unix://${sandbox.paths.socket}`, silentLogger());
      const expected = await resolveImageFacts(client, image, USERNAME, RUNTIME);
      const viaExec = await factsByStartAndExec(docker, image, USERNAME, RUNTIME, `bench-facts-check-${process.pid}`);
      assert.deepEqual(viaExec, expected, 'the start-and-exec baseline must find the same facts as resolveImageFacts');
      assert.deepEqual(expected, { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' });

      const samples = await interleave({
        rounds: ctx.rounds,
        warmup: ctx.warmup,
        onSample: (side, round, ms) => ctx.progress(`round ${round}: ${side} ${ms.toFixed(0)} ms`),
      }, async (round) => {
        const start = performance.now();
        await factsByStartAndExec(docker, image, USERNAME, RUNTIME, `bench-facts-exec-${process.pid}-${round + 100}`);
        return since(start);
      }, async () => {
        const start = performance.now();
        await resolveImageFacts(client, image, USERNAME, RUNTIME);
        return since(start);
      });

      const left = (await sandbox.dockerOk(['ps', '-aq'])).trim();
      assert.equal(left, '', 'both sides remove their probe containers');
      return {
        name: 'image-facts',
        baseline: { label: 'create+start+exec x3+rm (Go envbox)', samplesMs: samples.baseline },
        subject: { label: 'resolveImageFacts (archive API)', samplesMs: samples.subject },
        notes: [`image ${image}, dockerd --userns-remap=coder, runtime ${RUNTIME}; both sides include removing the probe container`],
        details: { image, runtime: RUNTIME, facts: expected },
      };
    } finally {
      await sandbox.destroy();
    }
  },
};
