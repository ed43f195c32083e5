import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startLifecycle } from '../support/lifecycle-run.js';
import { planEnv, projectDir, removeProjects, runCli, type CliResult } from './cli.js';

after(removeProjects);

/**
 * The attacker's search: a secret leaks if any of these appears anywhere in what envbox wrote.
 * Written out here, apart from envbox's scrubber, so that the test does not share its blind spots.
 */
function leakForms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  const b64 = Buffer.from(secret).toString('base64');
  return [secret, once, twice, b64, b64.replace(/=+$/, ''), Buffer.from(secret).toString('base64url')];
}

function assertNoLeak(output: string, secrets: Record<string, string>): void {
  for (const [what, secret] of Object.entries(secrets)) {
    for (const form of leakForms(secret)) {
      const at = output.indexOf(form);
      assert.equal(at, -1, `${what} leaked as ${JSON.stringify(form)} at ${at}: ...${output.slice(Math.max(0, at - 80), at + form.length + 20)}...`);
    }
  }
}

const unique = () => randomBytes(6).toString('hex');
// `"` and `\` make a JSON-escaped copy differ from the raw value, once and again when escaped twice.
const TOKEN = `tok"en\\${unique()}-agent`;
const PASSWORD = `pa"ss\\wo'rd-${unique()}`;
const USER_PASS_B64 = Buffer.from(`puller:${PASSWORD}`).toString('base64');
const PULL_SECRET = JSON.stringify({ auths: { 'registry.test:5000': { username: 'puller', password: PASSWORD }, 'other.test': { auth: USER_PASS_B64 } } });
const SECRETS = { 'agent token': TOKEN, password: PASSWORD, 'basic auth': USER_PASS_B64, 'pull secret': PULL_SECRET };

interface Plan { container: { create: { Env: string[] } } }

async function everything(root: string, result: CliResult): Promise<string> {
  const files = await Promise.all(['termination-log', 'status.json'].map((f) => readFile(join(root, f), 'utf8').catch(() => '')));
  return [result.stdout, result.stderr, ...files].join('\n');
}

function envOf(plan: Plan): Map<string, string> {
  return new Map(plan.container.create.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('hostile: a pattern in CODER_INNER_ENVS never forwards envbox\'s own secrets', () => {
  for (const pattern of ['*', 'CODER_*', 'CODER_IMAGE_*', 'CODER_AGENT_*']) {
    it(`CODER_INNER_ENVS=${pattern}: plan forwards no secret input, and no byte of output holds a secret`, async () => {
      const root = await projectDir();
      const result = await runCli(['plan'], planEnv(root, {
        CODER_INNER_ENVS: pattern, CODER_AGENT_TOKEN: TOKEN, CODER_IMAGE_PULL_SECRET: PULL_SECRET, CODER_DEBUG: 'true', CODER_SITE_NOTE: 'kept',
      }), root);
      assert.equal(result.code, 0, result.stderr);
      const env = envOf(JSON.parse(result.stdout) as Plan);
      assert.equal(env.has('CODER_IMAGE_PULL_SECRET'), false, 'the pull secret was forwarded by a pattern');
      assert.equal(env.get('CODER_AGENT_TOKEN'), '[redacted]');
      if (pattern === '*' || pattern === 'CODER_*') assert.equal(env.get('CODER_SITE_NOTE'), 'kept', 'other variables still match');
      assertNoLeak(await everything(root, result), SECRETS);
    });
  }

  it('the docker lifecycle creates the workspace without the pull secret under CODER_INNER_ENVS=*', async () => {
    const run = await startLifecycle({ CODER_INNER_ENVS: '*', CODER_IMAGE_PULL_SECRET: PULL_SECRET, CODER_AGENT_TOKEN: TOKEN });
    await run.untilLine((e) => e.type === 'done');
    const env = run.docker.created.get('workspace_cvm')?.Env ?? [];
    assert.equal(env.some((e) => e.startsWith('CODER_IMAGE_PULL_SECRET=')), false, env.join('\n'));
    assert.ok(env.includes(`CODER_AGENT_TOKEN=${TOKEN}`), 'the agent still gets its token, by its own rule');
    run.stop();
    assert.equal(await run.exit, 0);
    assertNoLeak(JSON.stringify(run.log), SECRETS);
  });

  it('naming a secret input exactly forwards it (a deliberate choice), and plan still shows it redacted', async () => {
    const root = await projectDir();
    const result = await runCli(['plan'], planEnv(root, { CODER_INNER_ENVS: 'CODER_IMAGE_PULL_SECRET', CODER_IMAGE_PULL_SECRET: PULL_SECRET }), root);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(envOf(JSON.parse(result.stdout) as Plan).get('CODER_IMAGE_PULL_SECRET'), '[redacted]');
    assertNoLeak(await everything(root, result), SECRETS);
  });
});

describe('hostile: plan redacts secrets by the field that holds them, not by their length', () => {
  for (const token of ['abc', 'x', '12']) {
    it(`a ${token.length}-character agent token is redacted in the plan's Env`, async () => {
      const root = await projectDir();
      const result = await runCli(['plan'], planEnv(root, { CODER_AGENT_TOKEN: token }), root);
      assert.equal(result.code, 0, result.stderr);
      const env = envOf(JSON.parse(result.stdout) as Plan);
      assert.equal(env.get('CODER_AGENT_TOKEN'), '[redacted]');
      assert.deepEqual([...env].filter(([, value]) => value === token), [], 'no Env entry holds the token');
    });
  }

  it('a site plugin that copies a short token under another name: redacted by value', async () => {
    const root = await projectDir({
      'envbox.config.mjs': `export default { plugins: [{ name: 'copier', apply({ hooks }) {
        hooks.containerSpec.tap((body) => ({ ...body, Env: [...body.Env, 'SITE_COPY=' + body.Env.find((e) => e.startsWith('CODER_AGENT_TOKEN=')).slice(18)] }));
      } }] };\n`,
    });
    const result = await runCli(['plan'], planEnv(root, { CODER_AGENT_TOKEN: 'q7z' }), root);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(envOf(JSON.parse(result.stdout) as Plan).get('SITE_COPY'), '[redacted]');
  });

  it('the password in a forwarded proxy URL is redacted; the rest of the URL stays', async () => {
    const root = await projectDir();
    const result = await runCli(['plan'], planEnv(root, { CODER_INNER_ENVS: 'HTTPS_PROXY', HTTPS_PROXY: 'http://proxyuser:pr0xy-pw@proxy.corp:3128' }), root);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(envOf(JSON.parse(result.stdout) as Plan).get('HTTPS_PROXY'), 'http://proxyuser:[redacted]@proxy.corp:3128');
    assert.equal(result.stdout.includes('pr0xy-pw'), false);
  });
});

describe('hostile: a URL whose "//" is mistyped never prints its password', () => {
  // WHATWG's URL reads each of these as http://user:password@host; Go's net/url (dockerd) reads no authority.
  const MISTYPED = ['http:/proxyuser:Sup3rSecretPw@proxy.corp:3128', 'http:///proxyuser:Sup3rSecretPw@proxy.corp:3128', 'http:\\\\proxyuser:Sup3rSecretPw@proxy.corp:3128'];
  const cases: [string, string][] = [...MISTYPED.map((v): [string, string] => ['HTTP_PROXY', v]), ['CODER_AGENT_URL', 'https:/agentuser:Sup3rSecretPw@coder.test']];
  for (const [variable, value] of cases) {
    it(`${variable}=${value.replace('Sup3rSecretPw', '***')}: plan exits 2 naming the variable, with an example, and no byte of output holds the password`, async () => {
      const root = await projectDir();
      const result = await runCli(['plan'], planEnv(root, { [variable]: value, CODER_INNER_ENVS: variable }), root);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`${variable}: the value \\(hidden: it may hold a password\\) is not an? [a-z()]+ (proxy )?URL written scheme://.*after the scheme.*Example: ${variable}=`));
      assertNoLeak(await everything(root, result), { 'URL password': 'Sup3rSecretPw' });
    });
  }
});

describe('hostile: secrets on the failure paths', () => {
  it('bad input next to a secret: stderr and the termination log hold none of it', async () => {
    const root = await projectDir();
    const result = await runCli(['docker'], planEnv(root, {
      CODER_CPUS: 'two', CODER_IMAGE_PULL_SECRET: `{"auths":{"r":{"password":"${PASSWORD.replace(/["\\]/g, '')}"`, CODER_AGENT_TOKEN: TOKEN,
    }), root);
    assert.equal(result.code, 2, result.stderr);
    const output = await everything(root, result);
    assert.match(output, /CODER_IMAGE_PULL_SECRET: is not valid JSON \(the value is hidden because it is secret\)/);
    assertNoLeak(output, { ...SECRETS, 'bad pull secret password': PASSWORD.replace(/["\\]/g, '') });
  });

  it('a runtime failure with debug logs on: build log, pino lines, termination log and status file hold no secret', async () => {
    const root = await projectDir();
    const result = await runCli(['docker'], planEnv(root, {
      ENVBOX_DOCKER_HOST: '', ENVBOX_RUNTIME: 'sysbox-runc', CODER_DEBUG: 'true', CODER_INNER_ENVS: '*',
      CODER_AGENT_TOKEN: TOKEN, CODER_IMAGE_PULL_SECRET: PULL_SECRET,
      ENVBOX_OOM_SCORE_FILE: join(root, 'oom'), ENVBOX_DOCKER_SOCKET: join(root, 'd.sock'), ENVBOX_DOCKER_DATA_ROOT: join(root, 'data'),
      ENVBOX_DOCKER_EXEC_ROOT: join(root, 'exec'), ENVBOX_DOCKER_PIDFILE: join(root, 'pid'), ENVBOX_DEVICE_DIR: join(root, 'dev'),
      PATH: '/nonexistent-envbox-bin',
    }), root);
    assert.equal(result.code, 1, result.stderr);
    const output = await everything(root, result);
    assert.match(await readFile(join(root, 'termination-log'), 'utf8'), /sysbox-mgr is not installed/);
    assertNoLeak(output, SECRETS);
  });
});

describe('hostile: the scrubber knows every form a secret is written in', () => {
  it('raw, JSON-escaped once and twice, base64 (padded or not) and base64url', async () => {
    const { SecretScrubber } = await import('../../core/kernel/scrub.js');
    const scrubber = new SecretScrubber();
    scrubber.add([PASSWORD]);
    for (const form of leakForms(PASSWORD)) {
      assert.equal(scrubber.scrub(`before ${form} after`), 'before [redacted] after', `the form ${JSON.stringify(form)} survived`);
    }
  });

  it('the password of a URL input (CODER_AGENT_URL) is a secret value, as written and decoded', async () => {
    const { prepare } = await import('../support/lifecycle-run.js');
    const { app } = await prepare({ CODER_AGENT_URL: 'https://u:agent%40url-pw@coder.test' }, { mode: 'plan' });
    assert.ok(app.options.secretValues().includes('agent%40url-pw') && app.options.secretValues().includes('agent@url-pw'), app.options.secretValues().join(' '));
    assert.equal(app.buildLog.scrub('x agent@url-pw y'), 'x [redacted] y');
  });

  it('the password inside a pull secret\'s `auth` is a secret value too', async () => {
    const auth = Buffer.from(`u:${PASSWORD}`).toString('base64');
    const { prepare } = await import('../support/lifecycle-run.js');
    const { app } = await prepare({ CODER_IMAGE_PULL_SECRET: JSON.stringify({ auths: { r: { auth } } }) }, { mode: 'plan' });
    assert.ok(app.options.secretValues().includes(PASSWORD));
    assert.equal(app.buildLog.scrub(`x ${PASSWORD} y`), 'x [redacted] y');
  });
});

describe('hostile: every credential of the docker config file is a secret, not only the one chosen', () => {
  it('a site plugin that quotes the whole file in the build log leaks no registry\'s password', async () => {
    const other = `other-registry-pw-${unique()}`;
    const chosen = `chosen-registry-pw-${unique()}`;
    const root = await projectDir({
      'docker-config.json': JSON.stringify({ auths: {
        'registry.test:5000': { auth: Buffer.from(`u:${chosen}`).toString('base64') },
        'other.test': { username: 'o', password: other },
        'tokens.test': { identitytoken: `idtok-${other}` },
      } }),
      'envbox.config.mjs': `export default { plugins: [{ name: 'tattler', apply({ hooks, stages }) {
        hooks.prePull.tap({ stage: stages.POLICY }, async (pull, ctx) => { ctx.buildLog.info('config: ' + await ctx.host.readFile(${JSON.stringify(join('ROOT', 'docker-config.json'))}.replace('ROOT', process.cwd()))); return pull; });
      } }] };\n`,
    });
    const result = await runCli(['plan'], planEnv(root, { CODER_DOCKER_CONFIG: join(root, 'docker-config.json') }), root);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /config: \{\\"auths\\"/, 'the tattler did log the file');
    assertNoLeak(await everything(root, result), { other, chosen, 'identity token': `idtok-${other}` });
  });
});
