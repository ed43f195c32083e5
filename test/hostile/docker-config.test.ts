import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HOST_READ_LIMIT_BYTES } from '../../core/kernel/host-view.js';
import { planEnv, projectDir, removeProjects, runCli } from './cli.js';

/**
 * CODER_DOCKER_CONFIG where the workspace user can reach it (a home volume at /root holds the default,
 * /root/.docker/config.json): the user leaves a FIFO, a link to one, a link to a device or a huge file
 * there. `envbox plan` runs configure and prePull, both of which read it: each must end, exit 0 with a
 * warning that names the variable, and use the pull secret instead.
 */
after(removeProjects);

const PULL_SECRET = JSON.stringify({ auths: { 'registry.test:5000': { auth: Buffer.from('sec:pw').toString('base64') } } });

async function planWithDockerConfig(place: (path: string, root: string) => Promise<void>) {
  const root = await projectDir();
  const config = join(root, 'docker', 'config.json');
  await mkdir(join(root, 'docker'));
  await place(config, root);
  return runCli(['plan'], planEnv(root, { CODER_DOCKER_CONFIG: config, CODER_IMAGE_PULL_SECRET: PULL_SECRET }), root);
}

/** A reader that a failing run left blocked on the FIFO is released, so the run can end. */
const fifos: string[] = [];
after(() => {
  for (const fifo of fifos) {
    try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ }
  }
});
async function fifoAt(path: string): Promise<void> {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
}

const warned = (stderr: string, why: RegExp) => assert.match(stderr, new RegExp(`"output":"Warning: CODER_DOCKER_CONFIG: \\\\".*config\\.json\\\\" ${why.source}; it is not read"`), stderr);

describe('hostile: CODER_DOCKER_CONFIG names what is not a docker config file', () => {
  it('a FIFO: envbox plan neither hangs nor waits for a writer; it warns and exits 0', { timeout: 90_000 }, async () => {
    const { code, stderr } = await planWithDockerConfig((path) => fifoAt(path));
    assert.equal(code, 0, stderr);
    warned(stderr, /is not a regular file \(a FIFO or socket\)/);
  });

  it('a link to a FIFO (the user planted it in the home volume): the same', { timeout: 90_000 }, async () => {
    const { code, stderr } = await planWithDockerConfig(async (path, root) => {
      await fifoAt(join(root, 'fifo'));
      await symlink(join(root, 'fifo'), path);
    });
    assert.equal(code, 0, stderr);
    warned(stderr, /is not a regular file \(a FIFO or socket\)/);
  });

  it('a link to a file over 4 MiB: never read past the cap, warned about, exit 0 (not read whole and refused as JSON)', { timeout: 90_000 }, async () => {
    const { code, stderr } = await planWithDockerConfig(async (path, root) => {
      await writeFile(join(root, 'huge'), '');
      await truncate(join(root, 'huge'), HOST_READ_LIMIT_BYTES + 1);
      await symlink(join(root, 'huge'), path);
    });
    assert.equal(code, 0, stderr);
    warned(stderr, /is larger than 4 MiB, or stopped being a regular file while envbox read it/);
  });

  it('a link to /dev/zero: the device is never read (it would never end), warned about, exit 0', { timeout: 90_000 }, async () => {
    const { code, stderr } = await planWithDockerConfig((path) => symlink('/dev/zero', path));
    assert.equal(code, 0, stderr);
    warned(stderr, /is not a regular file \(a device\)/);
  });
});
