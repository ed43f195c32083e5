import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { InputError } from 'envbox';
import { BuildLog } from '../../core/kernel/build-log.js';
import { MemoryHost, runPrePull } from 'envbox/testing';
import { chooseHelper, credentialsInHelperOutput, findHelper, helperCredentials, HelperError, runHelper } from './cred-helpers.js';
import { pullSecretPlugin } from './index.js';

/** Real helper programs: shell scripts in a directory of their own, found through PATH. */
let bin: string;
const SECRET = 'helper-s3cret-value-0123456789';

async function helper(name: string, body: string): Promise<string> {
  const path = join(bin, `docker-credential-${name}`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

before(async () => {
  bin = await mkdtemp(join(tmpdir(), 'envbox-cred-'));
  // Answers for whatever registry it is asked about, and records what it was asked and with which env.
  await helper('good', `read -r server; printf '%s' "$server" > ${bin}/asked; env > ${bin}/env\nprintf '{"ServerURL":"%s","Username":"alice","Secret":"${SECRET}"}' "$server"`);
  await helper('token', `cat >/dev/null; echo '{"ServerURL":"x","Username":"<token>","Secret":"${SECRET}"}'`);
  await helper('none', 'cat >/dev/null; echo "credentials not found in native keychain"; exit 1');
  await helper('broken', 'cat >/dev/null; echo "cannot reach the vault" >&2; exit 3');
  await helper('slow', 'exec sleep 30');
  await helper('chatty', 'cat >/dev/null; yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 200000');
  await helper('garbage', `cat >/dev/null; echo 'not json ${SECRET}'`);
  // Print their answer (with the Secret), then fail: the answer must never be quoted, and its Secret is scrubbed anyway.
  await helper('flaky', `read -r server; echo '{"ServerURL":"registry.test:5000","Username":"u","Secret":"${SECRET}"}'; exit 1`);
  await helper('flaky-stderr', `read -r server; echo '{"Username":"u","Secret":"${SECRET}"}'; echo "token ${SECRET} expired" >&2; exit 1`);
  await helper('flaky-then-error', `read -r server; printf '{"Secret":"${SECRET}"}\\nerror: vault sealed\\n'; exit 2`);
  await helper('flaky-cut', `read -r server; printf '{"ServerURL":"x","Secret":"${SECRET}","Use'; exit 1`);
  await writeFile(join(bin, 'docker-credential-noexec'), '#!/bin/sh\necho {}\n');
});

describe('credential helpers: which one the docker CLI would ask', () => {
  it('the registry\'s credHelpers entry (exact key, then the same host in a URL), then credsStore', () => {
    const config = { credHelpers: { 'registry.test:5000': 'a', 'https://other.test/v2/': 'b' }, credsStore: 'store' };
    assert.deepEqual(chooseHelper(config, 'registry.test:5000'), { name: 'a', serverAddress: 'registry.test:5000', from: 'credHelpers' });
    assert.deepEqual(chooseHelper(config, 'other.test'), { name: 'b', serverAddress: 'other.test', from: 'credHelpers' });
    assert.deepEqual(chooseHelper(config, 'third.test'), { name: 'store', serverAddress: 'third.test', from: 'credsStore' });
    assert.equal(chooseHelper({ credHelpers: { 'registry.test:5000': 'a' } }, 'registry.test'), null, 'another port is another registry');
    assert.equal(chooseHelper({ credsStore: '' }, 'registry.test'), null);
  });

  it('Docker Hub is asked for as https://index.docker.io/v1/, whichever of its names the config uses', () => {
    assert.deepEqual(chooseHelper({ credHelpers: { 'docker.io': 'hub' } }, 'docker.io'), { name: 'hub', serverAddress: 'https://index.docker.io/v1/', from: 'credHelpers' });
  });

  it('finds only an executable file named docker-credential-<name> in an absolute PATH directory', async () => {
    assert.equal(await findHelper('good', `/nonexistent:${bin}`), join(bin, 'docker-credential-good'));
    assert.equal(await findHelper('noexec', bin), null);
    assert.equal(await findHelper('missing', bin), null);
    assert.equal(await findHelper('../good', bin), null);
    assert.equal(await findHelper('good', 'relative/dir'), null);
  });
});

describe('credential helpers: running one', () => {
  const env = () => ({ PATH: '/usr/bin:/bin' });

  it('asks with `get` and the registry on stdin, and reads Username and Secret', async () => {
    const auth = await runHelper(join(bin, 'docker-credential-good'), 'registry.test:5000', { env: env() });
    assert.deepEqual(auth, { username: 'alice', password: SECRET, serveraddress: 'registry.test:5000' });
    assert.equal(await readFile(join(bin, 'asked'), 'utf8'), 'registry.test:5000');
  });

  it('a <token> user means an identity token', async () => {
    assert.deepEqual(await runHelper(join(bin, 'docker-credential-token'), 'r.test', { env: env() }), { identitytoken: SECRET, serveraddress: 'r.test' });
  });

  it('"credentials not found" is no credentials, not a failure', async () => {
    assert.equal(await runHelper(join(bin, 'docker-credential-none'), 'r.test', { env: env() }), null);
  });

  const failures: Array<[string, RegExp, { timeoutMs?: number; maxBytes?: number }]> = [
    ['broken', /get failed \(exit code 3\): cannot reach the vault$/, {}],
    ['slow', /get did not answer within 0\.5 s$/, { timeoutMs: 500 }],
    ['chatty', /get wrote more than 65536 bytes$/, {}],
    ['garbage', /answered with something that is not valid JSON \(the value is hidden because it is secret\)$/, {}],
  ];
  for (const [name, pattern, options] of failures) {
    it(`a helper that ${name === 'slow' ? 'hangs is killed' : `is ${name}`}: a HelperError saying why, never the output`, async () => {
      await assert.rejects(runHelper(join(bin, `docker-credential-${name}`), 'r.test', { env: env(), ...options }), (error: unknown) => {
        assert.ok(error instanceof HelperError);
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes(SECRET));
        return true;
      });
    });
  }
});

describe('credential helpers that print their answer and then fail', () => {
  const env = () => ({ PATH: '/usr/bin:/bin' });

  for (const name of ['flaky', 'flaky-stderr', 'flaky-then-error', 'flaky-cut']) {
    it(`${name}: the HelperError quotes no stdout, and carries the printed Secret for the scrubber`, async () => {
      await assert.rejects(runHelper(join(bin, `docker-credential-${name}`), 'r.test', { env: env() }), (error: unknown) => {
        assert.ok(error instanceof HelperError);
        assert.match(error.message, /get failed \(exit code [12]\).*\(its output on stdout is not shown: it may hold a secret\)$/);
        assert.equal(error.message.includes('Secret'), false, error.message);
        assert.ok(error.printedSecrets.includes(SECRET), error.printedSecrets.join(' '));
        return true;
      });
    });
  }

  it('the build-log warning holds no Secret; stderr is quoted, scrubbed (the red-team reproduction, on the real path)', async () => {
    for (const name of ['flaky', 'flaky-stderr']) {
      const lines: string[] = [];
      const buildLog = new BuildLog({ write: (text: string) => lines.push(text) });
      const auth = await helperCredentials({ credHelpers: { 'registry.test:5000': name } }, 'registry.test:5000', {
        env: { PATH: `${bin}:/usr/bin:/bin` },
        redact: (values) => buildLog.redact(values),
        warn: (text) => buildLog.warn(text),
        debug: () => {},
      });
      assert.equal(auth, null);
      const written = lines.join('');
      assert.match(written, /docker-credential-flaky(-stderr)? get failed \(exit code 1\)/);
      assert.equal(written.includes(SECRET), false, written);
      assert.equal(buildLog.scrub(`later: ${SECRET}`), 'later: [redacted]', 'the printed Secret stays a secret for the rest of the run');
      if (name === 'flaky-stderr') assert.match(written, /: token \[redacted\] expired/);
    }
  });

  it('finds credential fields in whole JSON, in JSON lines, and in an answer cut off; not the <token> marker', () => {
    assert.deepEqual(credentialsInHelperOutput('{"Username":"<token>","Secret":"s3cret-a"}'), ['s3cret-a']);
    assert.deepEqual(credentialsInHelperOutput('{"username":"bob","password":"s3cret-b"}\nerror: x'), ['bob', 's3cret-b']);
    assert.deepEqual(credentialsInHelperOutput('{"ServerURL":"x","Secret":"s3\\"cret-c","Us'), ['s3"cret-c']);
    assert.deepEqual(credentialsInHelperOutput('credentials not found in native keychain'), []);
  });
});

describe('credential helpers in the pullsecret plugin', () => {
  const CONFIG = '/root/.docker/config.json';
  const other = Buffer.from('bob:auths-password').toString('base64');
  const hostWith = (config: unknown, extraEnv: Record<string, string> = {}) =>
    new MemoryHost({ PATH: `/nonexistent:${bin}`, ...extraEnv }).file(CONFIG, JSON.stringify(config));

  it('uses the helper credHelpers names for the registry, before auths, and scrubs its secret', async () => {
    const host = hostWith({ credHelpers: { 'registry.test:5000': 'good' }, auths: { 'registry.test:5000': { auth: other } } }, { CODER_IMAGE_PULL_SECRET: 'a-secret-input' });
    const { pull, app } = await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'registry.test:5000/ws:1' }, host });
    assert.deepEqual(pull.auth, { username: 'alice', password: SECRET, serveraddress: 'registry.test:5000' });
    assert.ok(!app.buildLog.scrub(`pulled with ${SECRET}`).includes(SECRET));
    const helperEnv = await readFile(join(bin, 'env'), 'utf8');
    assert.ok(!helperEnv.includes('CODER_IMAGE_PULL_SECRET'), 'a secret input is not passed to the helper');
  });

  it('credsStore serves every registry', async () => {
    const { pull } = await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'other.test/ws:1' }, host: hostWith({ credsStore: 'good' }) });
    assert.deepEqual(pull.auth, { username: 'alice', password: SECRET, serveraddress: 'other.test' });
  });

  it('a helper that is not on PATH: a warning, then the auths entry', async () => {
    const { pull, buildLog } = await runPrePull([pullSecretPlugin()], {
      env: { CODER_INNER_IMAGE: 'registry.test:5000/ws:1' },
      host: hostWith({ credHelpers: { 'registry.test:5000': 'missing' }, auths: { 'registry.test:5000': { auth: other } } }),
    });
    assert.deepEqual(pull.auth, { username: 'bob', password: 'auths-password', serveraddress: 'registry.test:5000' });
    assert.ok(buildLog.some((e) => /^Warning: .*credential helper "missing" for registry\.test:5000, but docker-credential-missing is not on PATH/.test(e.output)));
  });

  it('a helper that fails: a warning, then an anonymous pull when auths has nothing', async () => {
    const { pull, buildLog } = await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'registry.test:5000/ws:1' }, host: hostWith({ credsStore: 'broken' }) });
    assert.equal(pull.auth, null);
    assert.ok(buildLog.some((e) => /^Warning: .*docker-credential-broken get failed \(exit code 3\)/.test(e.output)));
  });

  it('a helper that prints its answer and then fails: the build log never holds its Secret', async () => {
    const { pull, buildLog, app } = await runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'registry.test:5000/ws:1' }, host: hostWith({ credsStore: 'flaky-stderr' }) });
    assert.equal(pull.auth, null);
    assert.ok(buildLog.some((e) => /^Warning: .*docker-credential-flaky-stderr get failed \(exit code 1\): token \[redacted\] expired/.test(e.output)), JSON.stringify(buildLog));
    assert.equal(JSON.stringify(buildLog).includes(SECRET), false);
    assert.equal(app.buildLog.scrub(SECRET), '[redacted]');
  });

  it('a helper name that is a path is exit 2, naming the file', async () => {
    await assert.rejects(runPrePull([pullSecretPlugin()], { env: { CODER_INNER_IMAGE: 'r.test/ws:1' }, host: hostWith({ credsStore: '../../bin/sh' }) }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^CODER_DOCKER_CONFIG \(\/root\/\.docker\/config\.json\): is not a docker config JSON .* at credsStore: .*is not a credential helper name/);
      return true;
    });
  });
});
