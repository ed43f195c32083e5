// Image facts read by a real dockerd (archive API), for what only an image can show: an /etc/os-release
// that is a symlink, as on Debian, Ubuntu and Fedora (/etc/os-release -> ../usr/lib/os-release). The
// archive API hands back the link itself, not its target, so a reader that does not follow it by hand
// sees no ID. The images are the world's busybox rootfs with the link put in, built here.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerodeClient } from '../core/engine/docker/dockerode-client.js';
import { resolveImageFacts } from '../core/engine/read-image-facts.js';
import { silentLogger } from '../core/engine/log/logger.js';
import { createWorld, destroyWorld, mustRun, Sandbox, type World } from './harness/index.js';

describe('image facts from a real dockerd', () => {
  let world: World;
  let sandbox: Sandbox;
  let work: string;

  before(async () => {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'image-facts');
    // As envbox's own daemon runs: the archive API's tar then carries host-side ids.
    await sandbox.startDockerd(['--userns-remap=coder']);
    work = await mkdtemp('/var/tmp/envbox-image-facts-');
  });

  after(async () => {
    await sandbox?.destroy();
    if (world) await destroyWorld(world);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The world's noinit rootfs with /etc/os-release replaced by a link to /usr/lib/os-release, imported as `name`. */
  async function importWithLinkedOsRelease(name: string, linkTarget: string): Promise<void> {
    const root = join(work, name);
    await mustRun(['mkdir', '-p', join(root, 'usr', 'lib')]);
    await mustRun(['tar', '-C', root, '-xf', world.tarballs.noinit]);
    await rm(join(root, 'etc', 'os-release'));
    // An ID no other file of the image has, so that only the link's target can be where it came from.
    await writeFile(join(root, 'usr', 'lib', 'os-release'), 'NAME="Linked OS"\nID=linkedos\n');
    await symlink(linkTarget, join(root, 'etc', 'os-release'));
    const tarball = join(work, `${name}.tar`);
    await mustRun(['tar', '--numeric-owner', '-C', root, '-cf', tarball, '.']);
    await sandbox.dockerOk(['import', tarball, `envbox-test/${name}:1`], { timeoutMs: 60_000 });
  }

  for (const [name, linkTarget] of [['relative-link', '../usr/lib/os-release'], ['absolute-link', '/usr/lib/os-release']] as const) {
    test(`a symlinked /etc/os-release (${linkTarget}) is read at its target`, { timeout: 120_000 }, async () => {
      await importWithLinkedOsRelease(name, linkTarget);
      const docker = new DockerodeClient(`unix://${sandbox.paths.socket}`, silentLogger());
      const facts = await resolveImageFacts(docker, `envbox-test/${name}:1`, 'coder', 'runc');
      assert.equal(facts.osReleaseId, 'linkedos');
      assert.deepEqual([facts.uid, facts.gid, facts.home], [1000, 1000, '/home/coder'], 'the passwd read beside it still works');
      const left = await sandbox.dockerOk(['ps', '-aq']);
      assert.equal(left.trim(), '', 'the probe container is removed');
    });
  }
});
