// The workspace's own dockerd gets the pod's MTU through /etc/docker/daemon.json, merged
// with the image's file. With runc the inner dockerd cannot run here, so the file itself is checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, destroyWorld, type World } from './harness/index.js';
import { infoOutputs, innerExec, installCa, pullSecret, stopCleanly, withSandbox } from './harness/scenario.js';

describe('inner docker daemon.json', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  const cases = [
    {
      name: 'an image without daemon.json gets {"mtu": 1400}, the MTU of the sandbox\'s eth0 that envbox gives its own dockerd',
      image: () => world.images.init,
      expected: { mtu: 1400 },
      line: /^Wrote mtu 1400 into the workspace's \/etc\/docker\/daemon.json$/,
    },
    {
      name: 'an image with a daemon.json keeps its keys, and gets the mtu added',
      image: () => world.images.daemonJson,
      expected: { 'log-level': 'warn', features: { buildkit: true }, mtu: 1400 },
      line: /^Wrote mtu 1400 into the workspace's \/etc\/docker\/daemon.json \(merged with the image's; its other keys kept: log-level, features\)$/,
    },
    {
      name: 'an image with an explicit mtu keeps it, and the build log says so',
      image: () => world.images.daemonJsonMtu,
      expected: { mtu: 1280, debug: true },
      line: /the image's own "mtu" is kept, so envbox's 1400 is not written/,
    },
  ];

  for (const c of cases) {
    test(c.name, { timeout: 120_000 }, () => withSandbox(world, `inner-mtu-${c.image().split(':').pop()}`, async (sandbox, track) => {
      const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: c.image(),
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
      })));
      await run.waitForDone(90_000);
      const text = await innerExec(sandbox, ['cat', '/etc/docker/daemon.json']);
      assert.deepEqual(JSON.parse(text), c.expected);
      assert.ok(infoOutputs(run).some((l) => c.line.test(l)), `a build-log line matching ${c.line}:\n${infoOutputs(run).join('\n')}`);
      // Written by the workspace's root, readable by all (no credentials in it).
      assert.equal((await innerExec(sandbox, ['stat', '-c', '%u:%g %a', '/etc/docker', '/etc/docker/daemon.json'])).trim(), '0:0 755\n0:0 644');
      await stopCleanly(sandbox, run);
    }));
  }
});
