// The TLS registry with htpasswd auth, every way of passing the CA and the
// credentials, and the four ways a pull fails (each fast, with an error line and a non-zero exit).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWorld, destroyWorld, Sandbox, type EnvboxRun, type World } from './harness/index.js';
import { assertFailsWith, assertNoSecrets, assertNothingLeft, basicAuth, installCa, pullSecret, stopCleanly, withSandbox, type SandboxCase } from './harness/scenario.js';

describe('pull auth', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  const secrets = () => [world.registry.password, basicAuth(world)];

  /** A fresh sandbox per case: its dockerd's certs.d starts empty. */
  const inSandbox = (label: string, fn: SandboxCase) => withSandbox(world, label, fn);

  async function expectWorkspace(sandbox: Sandbox, run: EnvboxRun, image: string): Promise<void> {
    await run.waitForDone(90_000);
    const state = (await sandbox.dockerOk(['inspect', '-f', '{{.State.Running}} {{.Config.Image}}', 'workspace_cvm'])).trim();
    assert.equal(state, `true ${image}`);
    await assertNoSecrets(run, secrets());
    await stopCleanly(sandbox, run);
  }

  test('CODER_EXTRA_CERTS_PATH as a file plus the pull secret', { timeout: 120_000 }, () => inSandbox('auth-cert-file', async (sandbox, track) => {
    const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.noinit,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
    })));
    await expectWorkspace(sandbox, run, world.images.noinit);
  }));

  test('CODER_EXTRA_CERTS_PATH as a directory plus the pull secret', { timeout: 120_000 }, () => inSandbox('auth-cert-dir', async (sandbox, track) => {
    const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'dir'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
    })));
    await expectWorkspace(sandbox, run, world.images.init);
  }));

  test('an auth-only pull secret that names no host', { timeout: 120_000 }, () => inSandbox('auth-no-host', async (sandbox, track) => {
    const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world, { key: '' }),
    })));
    await expectWorkspace(sandbox, run, world.images.init);
  }));

  test('CODER_DOCKER_CONFIG', { timeout: 120_000 }, () => inSandbox('auth-docker-config', async (sandbox, track) => {
    const dir = join(sandbox.paths.varLib, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), pullSecret(world));
    const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_DOCKER_CONFIG: '/var/lib/docker-config/config.json',
    })));
    await expectWorkspace(sandbox, run, world.images.init);
  }));

  test('CODER_DOCKER_CONFIG with a credential helper (credHelpers) on PATH, and no auths', { timeout: 120_000 }, () => inSandbox('auth-cred-helper', async (sandbox, track) => {
    const bin = join(sandbox.paths.varLib, 'cred-bin');
    await mkdir(bin, { recursive: true });
    // A real helper program, as docker-credential-ecr-login would be: `get`, the registry on stdin, JSON out.
    const answer = JSON.stringify({ ServerURL: world.registry.host, Username: world.registry.username, Secret: world.registry.password });
    await writeFile(join(bin, 'docker-credential-envboxtest'),
      `#!/bin/sh\n[ "$1" = get ] || exit 2\nread -r server\nprintf '%s' "$server" > /var/lib/cred-bin/asked\nprintf '%s' '${answer}'\n`, { mode: 0o755 });
    const dir = join(sandbox.paths.varLib, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credHelpers: { [world.registry.host]: 'envboxtest' } }));
    const env = sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_DOCKER_CONFIG: '/var/lib/docker-config/config.json',
    });
    const run = track(await sandbox.startEnvbox({ ...env, PATH: `/var/lib/cred-bin:${env.PATH}` }));
    await expectWorkspace(sandbox, run, world.images.init);
    assert.equal(await readFile(join(bin, 'asked'), 'utf8'), world.registry.host, 'the helper was asked for the registry');
  }));

  test('a credential helper that is not on PATH: a warning, and the pull fails as an anonymous one', { timeout: 120_000 }, () => inSandbox('auth-cred-helper-missing', async (sandbox, track) => {
    const dir = join(sandbox.paths.varLib, 'docker-config');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'envbox-absent' }));
    const run = track(await sandbox.startEnvbox(sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_DOCKER_CONFIG: '/var/lib/docker-config/config.json',
    })));
    await assertFailsWith(run, /no basic auth credentials/, 45_000);
    assert.ok(run.buildLog().some((l) => /Warning: .*docker-credential-envbox-absent is not on PATH/.test(l.output)), 'the missing helper is named');
    await assertNothingLeft(sandbox);
  }));

  const failures: { name: string; reason: RegExp; env: (sandbox: Sandbox) => Promise<Record<string, string>> }[] = [
    {
      name: 'no CA',
      reason: /x509: certificate signed by unknown authority/,
      env: async () => ({ CODER_INNER_IMAGE: world.images.init, CODER_IMAGE_PULL_SECRET: pullSecret(world) }),
    },
    {
      name: 'no credentials',
      reason: /no basic auth credentials/,
      env: async (sandbox) => ({ CODER_INNER_IMAGE: world.images.init, CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file') }),
    },
    {
      name: 'wrong password',
      reason: /unauthorized: authentication required/,
      env: async (sandbox) => ({
        CODER_INNER_IMAGE: world.images.init,
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world, { password: 'wrong-password-0123456789' }),
      }),
    },
    {
      name: 'unknown tag',
      reason: /manifest unknown|not found/,
      env: async (sandbox) => ({
        CODER_INNER_IMAGE: `${world.registry.host}/workspace:no-such-tag`,
        CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
      }),
    },
  ];

  for (const failure of failures) {
    test(`fails fast with a clear error: ${failure.name}`, { timeout: 120_000 }, () => inSandbox(`auth-fail-${failure.name}`, async (sandbox, track) => {
      const run = track(await sandbox.startEnvbox(sandbox.envboxEnv(await failure.env(sandbox))));
      // Fast: a pull error is final; no retry loop may hide it for minutes.
      await assertFailsWith(run, failure.reason, 45_000);
      assert.ok(!run.buildLog().some((l) => /Creating workspace/.test(l.output)), 'no workspace is created after a failed pull');
      await assertNothingLeft(sandbox);
      await assertNoSecrets(run, [...secrets(), 'wrong-password-0123456789']);
    }));
  }
});
