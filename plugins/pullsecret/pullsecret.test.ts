import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { coreInputs, type EnvboxPlugin, InputError } from 'envbox';
import { encodeRegistryAuth as dockerAuthHeader, type PullAuth } from '../../core/kernel/registry-auth.js';
import { planPull } from '../../core/engine/lifecycle/run-hooks.js';
import { MemoryHost, prepareTest, runPrePull } from 'envbox/testing';
import { decodeBasicAuth } from './docker-config.js';
import { pullSecretPlugin } from './index.js';
import { imagePullSecret } from './inputs.js';

/** The original's sample: a gcr.io JSON-key secret whose username/password and auth both exist. */
const GCR_SECRET = String.raw`{"auths":{"us.gcr.io":{"username":"_json_key","password":"{\"type\": \"service_account\", \"project_id\": \"some-test\", \"private_key_id\": \"blahblah\", \"private_key\": \"-----BEGIN PRIVATE KEY-----mykey-----END PRIVATE KEY-----\", \"client_email\": \"test@test.iam.gserviceaccount.com\", \"client_id\": \"123\", \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\", \"token_uri\": \"https://oauth2.googleapis.com/token\", \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/oauth2/v1/certs\", \"client_x509_cert_url\": \"https://www.googleapis.com/robot/v1/metadata/x509/test.iam.gserviceaccount.com\" }","email":"test@test.iam.gserviceaccount.com","auth":"X2pzb25fa2V5OnsKCgkidHlwZSI6ICJzZXJ2aWNlX2FjY291bnQiLAoJInByb2plY3RfaWQiOiAic29tZS10ZXN0IiwKCSJwcml2YXRlX2tleV9pZCI6ICJibGFoYmxhaCIsCgkicHJpdmF0ZV9rZXkiOiAiLS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCm15a2V5LS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQoiLAoJImNsaWVudF9lbWFpbCI6ICJ0ZXN0QHRlc3QuaWFtLmdzZXJ2aWNlYWNjb3VudC5jb20iLAoJImNsaWVudF9pZCI6ICIxMjMiLAoJImF1dGhfdXJpIjogImh0dHBzOi8vYWNjb3VudHMuZ29vZ2xlLmNvbS9vL29hdXRoMi9hdXRoIiwKCSJ0b2tlbl91cmkiOiAiaHR0cHM6Ly9vYXV0aDIuZ29vZ2xlYXBpcy5jb20vdG9rZW4iLAoJImF1dGhfcHJvdmlkZXJfeDUwOV9jZXJ0X3VybCI6ICJodHRwczovL3d3dy5nb29nbGVhcGlzLmNvbS9vYXV0aDIvdjEvY2VydHMiLAoJImNsaWVudF94NTA5X2NlcnRfdXJsIjogImh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL3JvYm90L3YxL21ldGFkYXRhL3g1MDkvdGVzdC5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIKfQo="}}}`;

const b64 = (text: string) => Buffer.from(text).toString('base64');
const secret = (auths: Record<string, unknown>) => JSON.stringify({ auths });

async function authFor(image: string, env: Record<string, string>, host = new MemoryHost()) {
  const { pull } = await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: image, ...env }, host });
  return pull.auth;
}

describe('pullsecret plugin: choosing credentials', () => {
  it('pulls anonymously when there is neither a docker config file nor a pull secret', async () => {
    assert.equal(await authFor('ubuntu', {}), null);
  });

  it('decodes an auth field to username and password (the original\'s Auth case)', async () => {
    const auth = await authFor('docker.registry.test/app', { CODER_IMAGE_PULL_SECRET: '{ "auths": { "docker.registry.test": { "auth": "Zm9vQGJhci5jb206YWJjMTIz" } } }' });
    assert.deepEqual(auth, { username: 'foo@bar.com', password: 'abc123', serveraddress: 'docker.registry.test' });
  });

  it('takes username and password fields (the original\'s UsernamePassword case)', async () => {
    const auth = await authFor('docker.registry.test/app', { CODER_IMAGE_PULL_SECRET: '{ "auths": { "docker.registry.test": { "username": "foobarbaz", "password": "123abc" } } }' });
    assert.deepEqual(auth, { username: 'foobarbaz', password: '123abc', serveraddress: 'docker.registry.test' });
  });

  it('passes a gcr.io JSON key as username _json_key and the key as password (the original\'s DockerAuth case)', async () => {
    const auth = await authFor('us.gcr.io/ubuntu', { CODER_IMAGE_PULL_SECRET: GCR_SECRET });
    const entry = JSON.parse(GCR_SECRET).auths['us.gcr.io'];
    assert.deepEqual(auth, { username: '_json_key', password: entry.password, serveraddress: 'us.gcr.io' });
  });

  it('splits a decoded auth on the first colon, so a password may hold colons', async () => {
    const auth = await authFor('registry.test/app', { CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('bob:pa:ss:word') } }) });
    assert.deepEqual(auth, { username: 'bob', password: 'pa:ss:word', serveraddress: 'registry.test' });
  });

  it('sends an identity token as identitytoken', async () => {
    const auth = await authFor('myregistry.azurecr.io/app', {
      CODER_IMAGE_PULL_SECRET: secret({ 'myregistry.azurecr.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-token-value' } }),
    });
    assert.deepEqual(auth, { identitytoken: 'refresh-token-value', serveraddress: 'myregistry.azurecr.io' });
  });

  it('finds Docker Hub credentials under https://index.docker.io/v1/ for a bare image name', async () => {
    const auth = await authFor('ubuntu:24.04', {
      CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('other:x') }, 'https://index.docker.io/v1/': { auth: b64('hub:secret1') } }),
    });
    assert.deepEqual(auth, { username: 'hub', password: 'secret1', serveraddress: 'https://index.docker.io/v1/' });
  });

  it('matches a key written as a URL with scheme and path, such as https://registry.test:5000/v1/', async () => {
    const auth = await authFor('registry.test:5000/ns/img:tag', {
      CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('wrong-port:x') }, 'https://registry.test:5000/v1/': { auth: b64('alice:s3cret') } }),
    });
    assert.deepEqual(auth, { username: 'alice', password: 's3cret', serveraddress: 'registry.test:5000' });
  });

  it('prefers the key for the image\'s registry over an earlier unrelated one', async () => {
    const auth = await authFor('registry.test/app', {
      CODER_IMAGE_PULL_SECRET: secret({ 'other.example.com': { auth: b64('other:x') }, 'registry.test': { auth: b64('right:y') } }),
    });
    assert.equal(auth && 'username' in auth && auth.username, 'right');
  });

  it('never sends credentials keyed by another registry: no match means an anonymous pull', async () => {
    const auth = await authFor('registry.test/app', {
      CODER_IMAGE_PULL_SECRET: secret({ 'other.example.com': { auth: b64('other:pw') }, 'localhost:5000': { username: 'u', password: 'p' } }),
    });
    assert.equal(auth, null);
  });

  it('skips an entry for the registry that holds no usable credentials, and borrows no other registry\'s', async () => {
    const auth = await authFor('registry.test/app', {
      CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { username: 'only-user' }, 'backup.example.com': { username: 'u', password: 'p' } }),
    });
    assert.equal(auth, null);
  });

  for (const key of ['', 'my-pull-secret']) {
    it(`keeps the original's legacy rule for a config whose keys name no registry (key ${JSON.stringify(key)}): its first usable entry, with a warning`, async () => {
      const run = await runPrePull([pullSecretPlugin()], {
        env: { CODER_INNER_IMAGE: 'registry.test/app', CODER_IMAGE_PULL_SECRET: secret({ unused: {}, [key]: { auth: b64('legacy:pw') } }) },
      });
      assert.deepEqual(run.pull.auth, { username: 'legacy', password: 'pw', serveraddress: 'registry.test' });
      const warnings = run.buildLog.map((e) => e.output).filter((o) => o.startsWith('Warning: '));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /no key of its "auths" names a registry, so its first usable entry .* is sent to registry\.test/);
      assert.doesNotMatch(warnings[0]!, /pw|bGVnYWN5OnB3/);
    });
  }

  const hubImages = ['ubuntu:24.04', 'docker.io/library/ubuntu', 'index.docker.io/library/ubuntu', 'registry-1.docker.io/library/ubuntu'];
  const hubKeys = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://registry-1.docker.io/v2/'];
  for (const image of hubImages) {
    it(`finds Docker Hub credentials for ${image} under every name Docker Hub goes by, never another registry's`, async () => {
      for (const key of hubKeys) {
        const auth = await authFor(image, { CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('wrong:x') }, [key]: { auth: b64('hub:pw') } }) });
        assert.deepEqual(auth, { username: 'hub', password: 'pw', serveraddress: 'https://index.docker.io/v1/' }, `key ${key}`);
      }
    });
  }

  it('does not take a look-alike host for Docker Hub, nor Docker Hub for it', async () => {
    assert.equal(await authFor('docker.io.evil.example/x', { CODER_IMAGE_PULL_SECRET: secret({ 'docker.io': { auth: b64('hub:pw') } }) }), null);
    assert.equal(await authFor('ubuntu', { CODER_IMAGE_PULL_SECRET: secret({ 'docker.io.evil.example': { auth: b64('evil:pw') } }) }), null);
  });

  it('leaves auth null when no entry has usable credentials', async () => {
    assert.equal(await authFor('registry.test/app', { CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': {}, x: { username: 'u' } }) }), null);
  });
});

describe('pullsecret plugin: CODER_DOCKER_CONFIG', () => {
  const pullSecret = secret({ 'registry.test': { auth: b64('from-secret:pw') } });

  it('reads the docker config file instead of the pull secret when the file exists', async () => {
    const host = new MemoryHost().file('/root/.docker/config.json', secret({ 'registry.test': { username: 'from-file', password: 'pw2' } }));
    const auth = await authFor('registry.test/app', { CODER_IMAGE_PULL_SECRET: pullSecret }, host);
    assert.deepEqual(auth, { username: 'from-file', password: 'pw2', serveraddress: 'registry.test' });
  });

  it('follows CODER_DOCKER_CONFIG to another path, and uses the pull secret when that file is missing', async () => {
    const host = new MemoryHost().file('/etc/envbox/docker.json', secret({ 'registry.test': { auth: b64('custom:pw3') } }));
    assert.deepEqual(await authFor('registry.test/app', { CODER_DOCKER_CONFIG: '/etc/envbox/docker.json' }, host),
      { username: 'custom', password: 'pw3', serveraddress: 'registry.test' });
    assert.deepEqual(await authFor('registry.test/app', { CODER_DOCKER_CONFIG: '/nowhere.json', CODER_IMAGE_PULL_SECRET: pullSecret }, host),
      { username: 'from-secret', password: 'pw', serveraddress: 'registry.test' });
  });

  it('pulls anonymously when the file exists without credentials, as the original did (the secret is not consulted)', async () => {
    const host = new MemoryHost().file('/root/.docker/config.json', '{"credsStore":"desktop"}');
    assert.equal(await authFor('registry.test/app', { CODER_IMAGE_PULL_SECRET: pullSecret }, host), null);
  });

  it('refuses an auth in the file that is not base64, exactly as in the env var (exit 2; it used to be skipped silently)', async () => {
    const host = new MemoryHost().file('/root/.docker/config.json', secret({ 'registry.test': { auth: '%%%' }, other: { username: 'u', password: 'p' } }));
    await assert.rejects(authFor('registry.test/app', {}, host), (error: unknown) => {
      assert.ok(error instanceof InputError, 'exit 2, before anything starts');
      assert.match(error.message, /^CODER_DOCKER_CONFIG \(\/root\/.docker\/config.json\): is not a docker config JSON .* at auths\.registry\.test\.auth: is not base64 of "user:password"\. Example: fix the file/);
      assert.doesNotMatch(error.message, /%%%/);
      return true;
    });
  });

  it('fails on malformed JSON in the file, naming the file and the variable but quoting none of it', async () => {
    const host = new MemoryHost().file('/root/.docker/config.json', '{"auths":{"registry.test":{"password": hunter2-secret}}}');
    await assert.rejects(authFor('registry.test/app', {}, host), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^CODER_DOCKER_CONFIG \(\/root\/.docker\/config.json\): is not valid JSON/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  it('fails on a file that is JSON but not an object', async () => {
    const host = new MemoryHost().file('/root/.docker/config.json', '["registry.test"]');
    await assert.rejects(authFor('registry.test/app', {}, host), /CODER_DOCKER_CONFIG \(\/root\/.docker\/config.json\): is not a docker config JSON/);
  });
});

describe('pullsecret plugin: secrecy and wiring', () => {
  function capture() {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    return { lines, logger: pino({ level: 'debug' }, stream) };
  }

  it('logs which source and key it used at debug level, and never the password', async () => {
    const { lines, logger } = capture();
    const { app, buildLog: buildLines } = await prepareTest([pullSecretPlugin()], {
      env: { CODER_INNER_IMAGE: 'registry.test/app', CODER_IMAGE_PULL_SECRET: secret({ 'https://registry.test/v2/': { auth: b64('carol:Sup3rS3cret!') } }) },
    });
    const { pull, actions } = await planPull({ ...app, log: logger });
    assert.deepEqual(pull.auth, { username: 'carol', password: 'Sup3rS3cret!', serveraddress: 'registry.test' });
    assert.deepEqual(pull.image, app.options.get(coreInputs.innerImage));
    const buildLog = app.buildLog;
    const logged = lines.join('');
    assert.match(logged, /"source":"CODER_IMAGE_PULL_SECRET"/);
    assert.match(logged, /"authKey":"https:\/\/registry.test\/v2\/"/);
    assert.doesNotMatch(logged, /Sup3rS3cret|Y2Fyb2w6U3VwM3JTM2NyZXQh/);
    // the chosen password is scrubbed from the build log from now on, whatever echoes it
    buildLog.info('daemon said: Sup3rS3cret! was rejected');
    assert.equal(buildLines.at(-1)?.output, 'daemon said: [redacted] was rejected');
    assert.deepEqual(actions, []);
  });

  it('keeps credentials that an earlier tap already chose', async () => {
    const earlier: EnvboxPlugin = {
      name: 'site-auth',
      apply({ hooks, stages }) {
        hooks.prePull.tap({ stage: stages.BASE }, (pull) => ({ ...pull, auth: { identitytoken: 'site-token', serveraddress: 'registry.test' } }));
      },
    };
    const { pull } = await runPrePull([earlier, pullSecretPlugin()], {
      env: { CODER_INNER_IMAGE: 'registry.test/app', CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('x:y') } }) },
    });
    assert.deepEqual(pull.auth, { identitytoken: 'site-token', serveraddress: 'registry.test' });
  });

  it('redacts the pull secret in the resolved options', async () => {
    const { options } = await prepareTest([pullSecretPlugin()], { env: { CODER_IMAGE_PULL_SECRET: secret({ r: { auth: b64('u:p') } }) } });
    assert.equal(options.toJSON().imagePullSecret, '[redacted]');
    assert.equal(options.toJSON().dockerConfigPath, '/root/.docker/config.json');
  });

  it('rejects an auth field that is not base64 of user:password at input time, without echoing it', async () => {
    for (const bad of ['not*base64', b64('no-colon-here'), b64(':no-user')]) {
      await assert.rejects(prepareTest([pullSecretPlugin()], { env: { CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: bad } }) } }), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, /^CODER_IMAGE_PULL_SECRET: is not a docker config JSON .* at auths\.registry\.test\.auth: is not base64 of "user:password"\. Example: CODER_IMAGE_PULL_SECRET=\{"auths"/);
        assert.ok(!error.message.includes(bad));
        return true;
      });
    }
  });

  it('accepts a config with other keys and an empty auths map', async () => {
    const { options } = await prepareTest([pullSecretPlugin()], { env: { CODER_IMAGE_PULL_SECRET: '{"auths":{},"credsStore":"desktop"}' } });
    assert.deepEqual(options.get(imagePullSecret)?.auths, {});
  });
});

describe('dockerAuthHeader', () => {
  const decode = (header: string) => JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;

  it('is base64url with padding of the JSON, which decodes back to the same credentials', () => {
    // chosen so that standard base64 of the JSON holds "+", "/" and padding
    const auth: PullAuth = { username: 'u', password: '??>>~~', serveraddress: 'r' };
    const standard = Buffer.from(JSON.stringify(auth)).toString('base64');
    assert.match(standard, /[+/]/);
    assert.match(standard, /=$/);
    const header = dockerAuthHeader(auth);
    assert.match(header, /^[A-Za-z0-9_-]+=+$/);
    assert.equal(header.length % 4, 0);
    assert.deepEqual(decode(header), auth);
  });

  it('encodes an identity token the same way', () => {
    const auth: PullAuth = { identitytoken: 'tok', serveraddress: 'registry.test:5000' };
    assert.deepEqual(decode(dockerAuthHeader(auth)), auth);
  });
});

describe('decodeBasicAuth', () => {
  it('accepts padded and unpadded base64 and trims trailing NULs', () => {
    assert.deepEqual(decodeBasicAuth('dXNlcjpwYXNz'), { username: 'user', password: 'pass' });
    assert.deepEqual(decodeBasicAuth(b64('ab:c')), { username: 'ab', password: 'c' });
    assert.deepEqual(decodeBasicAuth(b64('ab:c').replace(/=+$/, '')), { username: 'ab', password: 'c' });
    assert.deepEqual(decodeBasicAuth(b64('ab:c\0\0')), { username: 'ab', password: 'c' });
  });

  it('rejects text that is not standard base64, or lacks a user before the colon', () => {
    assert.equal(decodeBasicAuth('dXNlcjpw-XNz'), null);
    assert.equal(decodeBasicAuth('dXNlc jpwYXNz'), null);
    assert.equal(decodeBasicAuth(b64('userpass')), null);
    assert.equal(decodeBasicAuth(b64(':pass')), null);
    assert.equal(decodeBasicAuth('a'), null);
  });
});

describe('pullsecret plugin: a docker config path that is not a regular file', () => {
  it('skips a FIFO at CODER_DOCKER_CONFIG with a warning, never opening it (no writer ever comes), and uses the pull secret', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { NodeHost } = await import('../../core/engine/host/node-host.js');
    const dir = mkdtempSync(join(tmpdir(), 'envbox-pullsecret-fifo-'));
    try {
      const fifo = join(dir, 'config.json');
      execFileSync('mkfifo', [fifo]);
      const run = await runPrePull([pullSecretPlugin()], {
        env: { CODER_INNER_IMAGE: 'registry.test/app', CODER_DOCKER_CONFIG: fifo, CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('sec:pw') } }) },
        host: new NodeHost(),
      });
      assert.deepEqual(run.pull.auth, { username: 'sec', password: 'pw', serveraddress: 'registry.test' });
      assert.match(run.buildLog.map((e) => e.output).join('\n'), /Warning: CODER_DOCKER_CONFIG: ".*config\.json" is not a regular file \(a FIFO or socket\); it is not read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pullsecret plugin: the docker config is read once per hook, bounded, and what is skipped is said', () => {
  /** A MemoryHost that counts the reads of each path. */
  class CountingHost extends MemoryHost {
    readonly reads = new Map<string, number>();
    override async readFile(path: string) {
      this.reads.set(path, (this.reads.get(path) ?? 0) + 1);
      return super.readFile(path);
    }
  }

  it('reads CODER_DOCKER_CONFIG once in configure and once in prePull, for both its auths and its helpers', async () => {
    const host = new CountingHost().file('/root/.docker/config.json', secret({ 'other.test': { auth: b64('u:p') } }));
    await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'registry.test/app' }, host });
    assert.equal(host.reads.get('/root/.docker/config.json'), 2);
  });

  it('skips a file over the read cap (a link to /dev/zero would never end) with a warning, and uses the pull secret', async () => {
    const { mkdtempSync, rmSync, symlinkSync, writeFileSync, truncateSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { NodeHost } = await import('../../core/engine/host/node-host.js');
    const { HOST_READ_LIMIT_BYTES } = await import('envbox');
    const dir = mkdtempSync(join(tmpdir(), 'envbox-pullsecret-huge-'));
    try {
      // An admin's path that is a link (a Kubernetes secret's files are), to a file of 4 MiB + 1 of zeros.
      writeFileSync(join(dir, 'huge'), '');
      truncateSync(join(dir, 'huge'), HOST_READ_LIMIT_BYTES + 1);
      symlinkSync(join(dir, 'huge'), join(dir, 'config.json'));
      const run = await runPrePull([pullSecretPlugin()], {
        env: { CODER_INNER_IMAGE: 'registry.test/app', CODER_DOCKER_CONFIG: join(dir, 'config.json'), CODER_IMAGE_PULL_SECRET: secret({ 'registry.test': { auth: b64('sec:pw') } }) },
        host: new NodeHost(),
      });
      assert.deepEqual(run.pull.auth, { username: 'sec', password: 'pw', serveraddress: 'registry.test' });
      assert.match(run.buildLog.map((e) => e.output).join('\n'), /Warning: CODER_DOCKER_CONFIG: ".*config\.json" is larger than 4 MiB, or stopped being a regular file while envbox read it; it is not read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
