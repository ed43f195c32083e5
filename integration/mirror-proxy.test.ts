// A Docker Hub image pulled through ENVBOX_REGISTRY_MIRRORS (there is no internet
// here, so only the mirror can serve it), a mirror that is down, and a registry reachable only
// through a CONNECT proxy with credentials.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConnectProxy, createWorld, destroyWorld, mustRun, type World } from './harness/index.js';
import { assertFailsWith, assertNoSecrets, basicAuth, infoOutputs, innerExec, installCa, pullSecret, stopCleanly, withSandbox } from './harness/scenario.js';

const IMAGE_FACTS = { uid: 1000, gid: 1000, home: '/home/coder', hasInit: true, osReleaseId: 'debian' };

describe('registry mirrors and proxies', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  const dockerdArgv = async (pidfile: string) => {
    const pid = Number((await readFile(pidfile, 'utf8')).trim());
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  };

  test('a Docker Hub image comes through the mirror, with the CA copied for the mirror\'s host and passed on to the inner daemon.json', { timeout: 120_000 },
    () => withSandbox(world, 'hub-mirror', async (sandbox, track) => {
      const mirrorLog = join(world.runDir, 'mirror.log');
      const before = (await readFile(mirrorLog, 'utf8')).length;
      const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.mirror.hubImage,
        ENVBOX_REGISTRY_MIRRORS: world.mirror.url,
        ENVBOX_INNER_DOCKER_INHERIT_PULL: 'true',
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      })));
      await run.waitForDone(90_000);
      assert.equal((await sandbox.dockerOk(['inspect', '-f', '{{.State.Running}} {{.Config.Image}}', 'workspace_cvm'])).trim(), `true ${world.mirror.hubImage}`);
      assert.ok((await dockerdArgv(sandbox.paths.pidfile)).includes(`--registry-mirror=${world.mirror.url}`));
      assert.equal(await readFile(join(sandbox.paths.etcDocker, 'certs.d', world.mirror.host, 'ca.crt'), 'utf8'), await readFile(world.registry.caPath, 'utf8'));
      const served = (await readFile(mirrorLog, 'utf8')).slice(before);
      assert.match(served, /"GET \/v2\/library\/envbox-workspace\/manifests\/sha256:/, 'the mirror served the manifest');
      assert.match(served, /"GET \/v2\/library\/envbox-workspace\/blobs\/sha256:/, 'and the layers');
      assert.deepEqual(JSON.parse(await innerExec(sandbox, ['cat', '/etc/docker/daemon.json'])), { mtu: 1400, 'registry-mirrors': [world.mirror.url] });
      await stopCleanly(sandbox, run);
    }));

  test('a mirror that is down: the build log names it, and so does the error when the pull then fails', { timeout: 120_000 },
    () => withSandbox(world, 'hub-mirror-down', async (sandbox, track) => {
      const down = 'https://registry.test:5445';
      const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.mirror.hubImage,
        ENVBOX_REGISTRY_MIRRORS: down,
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      })));
      await assertFailsWith(run, /pulling envbox-workspace:init failed.*The registry mirror https:\/\/registry.test:5445 \(.*ECONNREFUSED.*\) in ENVBOX_REGISTRY_MIRRORS did not answer/);
      assert.ok(infoOutputs(run).some((l) => /^Warning: the registry mirror https:\/\/registry.test:5445 \(ENVBOX_REGISTRY_MIRRORS\) does not answer: .*ECONNREFUSED/.test(l)),
        infoOutputs(run).join('\n'));
    }));

  test('HTTPS_PROXY with credentials: the registry is reachable only through the proxy, the pull goes through it, and the password appears nowhere',
    { timeout: 150_000 }, () => withSandbox(world, 'proxy', async (sandbox, track) => {
      const password = `proxy-pw-${randomBytes(12).toString('hex')}`;
      const proxy = await ConnectProxy.start(world, { port: 3128, auth: `envbox-proxy:${password}` });
      try {
        // The sandbox reaches the world only on its own link (where the proxy listens), not the registry's address.
        await mustRun(['ip', '-n', sandbox.netns, 'route', 'del', `${world.registry.ip}/32`]);
        const direct = await sandbox.exec(['curl', '-sS', '--max-time', '5', '--cacert', world.registry.caPath, `https://${world.registry.host}/v2/`]);
        assert.notEqual(direct.exitCode, 0, 'the registry must not be reachable directly');

        const proxyUrl = `http://envbox-proxy:${password}@10.99.${sandbox.index}.1:3128`;
        const masked = `http://envbox-proxy:[redacted]@10.99.${sandbox.index}.1:3128`;
        const env = sandbox.envboxEnv({
          CODER_INNER_IMAGE: world.images.init,
          CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
          CODER_IMAGE_PULL_SECRET: pullSecret(world),
          HTTPS_PROXY: proxyUrl,
          no_proxy: 'localhost,127.0.0.1',
          CODER_INNER_ENVS: 'HTTPS_PROXY',
          ENVBOX_INNER_DOCKER_INHERIT_PULL: 'true',
          CODER_DEBUG: 'true',
        });
        const plan = await sandbox.startEnvbox({ ...env, ENVBOX_IMAGE_FACTS: JSON.stringify(IMAGE_FACTS) }, ['plan']);
        assert.equal((await plan.waitForExit(60_000)).code, 0, plan.tail());
        const planned = JSON.parse(plan.stdoutText()) as { daemon: { env: Record<string, string> } };
        assert.deepEqual(planned.daemon.env, { HTTPS_PROXY: masked, NO_PROXY: 'localhost,127.0.0.1' });
        await assertNoSecrets(plan, [password]);

        const run = track(await sandbox.startEnvbox(env));
        await run.waitForDone(120_000);
        const connects = proxy.events().filter((e) => e.event === 'connect');
        assert.ok(connects.length >= 1 && connects.every((e) => e.target === world.registry.host), `the proxy carried the pull: ${JSON.stringify(proxy.events())}`);
        assert.ok(infoOutputs(run).includes(`dockerd pulls through HTTPS_PROXY=${masked} NO_PROXY=localhost,127.0.0.1`), infoOutputs(run).join('\n'));
        // Forwarding is the user's choice through CODER_INNER_ENVS, and it was made here.
        assert.match(await innerExec(sandbox, ['env']), new RegExp(`^HTTPS_PROXY=${proxyUrl.replace(/[.]/g, '\\.')}$`, 'm'));
        const daemonJson = JSON.parse(await innerExec(sandbox, ['cat', '/etc/docker/daemon.json']));
        assert.deepEqual(daemonJson, { mtu: 1400, proxies: { 'https-proxy': proxyUrl, 'no-proxy': 'localhost,127.0.0.1' } });
        assert.equal((await innerExec(sandbox, ['stat', '-c', '%a', '/etc/docker/daemon.json'])).trim(), '600', 'credentials: root-only');
        await stopCleanly(sandbox, run);
        await assertNoSecrets(run, [password, world.registry.password, basicAuth(world)]);
      } finally {
        await proxy.stop();
      }
    }));
});
