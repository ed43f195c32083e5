import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareApp } from '../../core/engine/app.js';
import { builtinPlugins } from '../../plugins/index.js';
import { InputError } from '../../core/kernel/errors.js';
import { runPlan } from '../../core/engine/lifecycle/plan.js';
import { MemoryHost } from '../../testing/memory-host.js';
import { startLifecycle } from '../support/lifecycle-run.js';
import { FACTS, planEnv, projectDir, removeProjects, runCli } from './cli.js';

after(removeProjects);

const REQUIRED = { CODER_INNER_IMAGE: 'registry.test:5000/workspace:init', CODER_INNER_USERNAME: 'coder', ENVBOX_RUNTIME: 'runc' };
const cwd = mkdtempSync(join(tmpdir(), 'envbox-hostile-cwd-'));
/** The running envbox's own code (this checkout, as the CLI runs from source): protected like /opt/envbox. */
const projectRoot = join(import.meta.dirname, '..', '..');

/** Everything `plan` does before it needs a daemon: config, inputs, every plugin's configure, and (with image facts) the plan itself. */
async function planWith(env: Record<string, string>): Promise<string> {
  const full = { ...REQUIRED, ENVBOX_IMAGE_FACTS: FACTS, ENVBOX_DOCKER_HOST: 'unix:///nonexistent.sock', ...env };
  const app = await prepareApp({ mode: 'plan', argv: [], env: full, cwd, host: new MemoryHost(full), stderr: { write: () => true }, builtins: builtinPlugins() });
  return runPlan(app, () => { throw new Error('plan must not connect to a daemon here'); });
}

async function problemsOf(env: Record<string, string>): Promise<InputError> {
  const caught = await planWith(env).then(() => assert.fail(`expected exit 2 for ${JSON.stringify(env)}`), (error: unknown) => error);
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  for (const line of caught.message.split('\n')) assert.match(line, /^.+?: .+\. Example: .+$/);
  return caught;
}

type Case = readonly [variable: string, value: string, problem: RegExp];

/** Values that pass a naive check but fail later (after dockerd started) or never work. */
const FAIL_LATER: Record<string, readonly Case[]> = {
  'CPU counts Docker or the kernel refuses': [
    ['CODER_CPUS', '0.001', /is below 0\.01, Docker's smallest CPU quota \(1000 µs per 100000 µs period\)/],
    ['CODER_CPUS', '0.009', /is below 0\.01/],
    ['CODER_CPUS', '175921861', /is above 175921860, the largest CPU quota the kernel accepts/],
    ['CODER_CPUS', `1${'0'.repeat(400)}`, /is above 175921860/],
  ],
  // A URL's password is never quoted, even in a value that is no URL: the userinfo ends at the last '@'.
  'URLs whose password must not be quoted': [
    ['CODER_AGENT_URL', 'https://u:agent-url-pw@coder corp', /^"https:\/\/u:\[redacted\]@coder corp" is not an http\(s\) URL$/],
    ['CODER_AGENT_URL', 'https://u:agent@url-pw@coder corp', /^"https:\/\/u:\[redacted\]@coder corp" is not an http\(s\) URL$/],
    ['ENVBOX_DOCKER_HOST', 'tcp://u:docker-host-pw@dockerd:99999', /^holds user:password@ \(the value is hidden\); a tcp:\/\/ Docker address takes no credentials/],
  ],
  // Found by test/properties: a RangeError (stack overflow) collecting the secret's values, instead of exit 2.
  'JSON nested deeper than any docker config': [
    ['CODER_IMAGE_PULL_SECRET', `{"auths":{"r":{"password":"pw-1234","x":${'['.repeat(5000)}"x"${']'.repeat(5000)}}}}`, /is not a docker config.*: it nests deeper than 64 levels/],
  ],
  'host names Linux refuses': [
    ['CODER_INNER_HOSTNAME', `${'a'.repeat(32)}.${'b'.repeat(32)}`, /is 65 characters long; Linux allows a host name of at most 64/],
    ['CODER_INNER_HOSTNAME', `${'a'.repeat(63)}.${'b'.repeat(63)}.c`, /Linux allows a host name of at most 64/],
    ['CODER_INNER_HOSTNAME', 'work_space', /is not a host name \(RFC 1123/],
    ['CODER_INNER_HOSTNAME', 'ws.', /is not a host name/],
  ],
  'container names Docker refuses': [
    ['ENVBOX_CONTAINER_NAME', 'a', /"a" is not a container name Docker accepts \(at least 2 characters/],
    ['ENVBOX_CONTAINER_NAME', '.ws', /is not a container name Docker accepts/],
    ['ENVBOX_CONTAINER_NAME', 'ws/cvm', /is not a container name Docker accepts/],
    ['ENVBOX_CONTAINER_NAME', `w${'s'.repeat(64)}`, /is 65 characters long and, with no CODER_INNER_HOSTNAME set, becomes the hostname, which Linux limits to 64/],
  ],
  'user names no passwd line can hold': [
    ['CODER_INNER_USERNAME', 'co:der', /holds ":", which separates the fields of \/etc\/passwd/],
    ['CODER_INNER_USERNAME', 'root:x:0:0', /holds ":"/],
    ['CODER_INNER_USERNAME', 'coder\nroot', /holds a control character/],
    ['CODER_INNER_USERNAME', 'co\tder', /holds a control character/],
    ['CODER_INNER_USERNAME', ' coder', /starts or ends with a space/],
  ],
  'mount targets the runtime refuses or that break the workspace': [
    ['CODER_MOUNTS', '/data:/proc', /entry 1 \("\/data:\/proc"\) has the target "\/proc"; the runtime refuses any mount at or below \/proc/],
    ['CODER_MOUNTS', '/data:/proc/sys/kernel', /at or below \/proc/],
    ['CODER_MOUNTS', '/data:/proc/', /has the target "\/proc"/],
    ['CODER_MOUNTS', '/data:/dev', /has the target "\/dev"; it would hide the device nodes the workspace needs/],
    ['CODER_MOUNTS', '/data:/dev/', /has the target "\/dev"/],
    ['CODER_MOUNTS', '/data:/sys/fs/x', /\/sys belongs to the runtime/],
    ['CODER_MOUNTS', '/data:/tmp/../proc', /has the target "\/proc"/],
    ['CODER_MOUNTS', '/data:/.', /mount over the workspace's root/],
    ['CODER_INNER_USR_LIB_DIR', '/proc/driver/lib', /"\/proc\/driver\/lib" cannot be a mount target: the runtime refuses any mount at or below \/proc/],
    ['CODER_INNER_USR_LIB_DIR', '/sys/lib', /cannot be a mount target: \/sys belongs to the runtime/],
    ['CODER_INNER_USR_LIB_DIR', '/dev', /cannot be a mount target: it would hide the device nodes/],
  ],
  'TCP docker hosts with a port no socket has': [
    ['ENVBOX_DOCKER_HOST', 'tcp://127.0.0.1:0', /has the port 0; a TCP port is 1 to 65535/],
    ['ENVBOX_DOCKER_HOST', 'tcp://dind:65536', /has the port 65536/],
    ['ENVBOX_DOCKER_HOST', 'tcp://dind:99999999999999999999', /a TCP port is 1 to 65535/],
  ],
  'image facts whose ids do not exist once shifted by the userns offset': [
    ['ENVBOX_IMAGE_FACTS', FACTS.replace('"uid":1000', `"uid":${2 ** 32 - 100000}`), /the uid 4294867296 plus ENVBOX_ID_OFFSET 100000 is 4294967296, beyond the largest host id Linux has \(4294967294\)/],
    ['ENVBOX_IMAGE_FACTS', FACTS.replace('"gid":1000', `"gid":${2 ** 32 - 100001}`), /the gid 4294867295 plus ENVBOX_ID_OFFSET 100000 is 4294967295/],
    ['ENVBOX_IMAGE_FACTS', FACTS.replace('"uid":1000', '"uid":1e20'), /is not image facts at uid/],
  ],
};

/** Sources whose chown or chmod would hand the outer container to the workspace. */
const REFUSED_SOURCES = ['/', '/.', '/home/..', '/etc', '/usr', '/proc', '/sys', '/dev', '/var/lib/docker', '/bin', '/lib', '/lib64', '/sbin',
  '/boot', '/run', '/var', '/var/lib', '/var/run', '/var/lib/coder', '/tmp', '/var/tmp', '/etc/', '/opt', '/opt/', '/opt/envbox', '/envbox', '/home'];

describe('hostile: values that would fail after dockerd started exit 2 first, naming the input', () => {
  for (const [group, cases] of Object.entries(FAIL_LATER)) {
    describe(group, () => {
      for (const [variable, value, pattern] of cases) {
        it(`${variable}=${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`, async () => {
          const error = await problemsOf({ [variable]: value });
          assert.deepEqual(error.problems.map((p) => p.variable), [variable], error.message);
          assert.match(error.problems[0]!.problem, pattern);
        });
      }
    });
  }

  it('all mount problems at once, one line each', async () => {
    const error = await problemsOf({ CODER_MOUNTS: '/a:/proc,/etc:/etc,/b:/dev' });
    assert.equal(error.problems.length, 3, error.message);
  });
});

describe('hostile: the limits themselves are accepted', () => {
  for (const [variable, value] of [
    ['CODER_CPUS', '0.01'], ['CODER_CPUS', '175921860'], ['CODER_INNER_HOSTNAME', `${'a'.repeat(31)}.${'b'.repeat(32)}`],
    ['ENVBOX_CONTAINER_NAME', 'ws'], ['ENVBOX_CONTAINER_NAME', 'w'.repeat(64)], ['ENVBOX_DOCKER_HOST', 'tcp://dind:65535'],
    ['ENVBOX_DOCKER_HOST', 'tcp://dind:1'], ['CODER_MOUNTS', '/data:/dev/shm'], ['CODER_INNER_USERNAME', 'first.last-1'],
    ['ENVBOX_IMAGE_FACTS', FACTS.replace('"uid":1000', `"uid":${2 ** 32 - 2 - 100000}`)],
  ] as const) {
    it(`${variable}=${value.length > 40 ? `${value.slice(0, 37)}...` : value}`, async () => {
      await planWith({ [variable]: value });
    });
  }

  it('a long container name is fine when CODER_INNER_HOSTNAME is set', async () => {
    const plan = JSON.parse(await planWith({ ENVBOX_CONTAINER_NAME: `w${'s'.repeat(80)}`, CODER_INNER_HOSTNAME: 'ws' })) as { container: { create: { Hostname: string } } };
    assert.equal(plan.container.create.Hostname, 'ws');
  });
});

describe('hostile: a mount source of "/" or a system dir is refused; below a system dir it is bound untouched', () => {
  for (const source of REFUSED_SOURCES) {
    it(`CODER_MOUNTS=${source}:/host is refused`, async () => {
      const error = await problemsOf({ CODER_MOUNTS: `${source}:/host` });
      assert.deepEqual(error.problems.map((p) => p.variable), ['CODER_MOUNTS']);
      assert.match(error.problems[0]!.problem, /has the source "[^"]+", (the outer container's root|a system directory of the outer container)/);
    });
  }

  it('even read-only, and even onto a private target', async () => {
    await problemsOf({ CODER_MOUNTS: '/:/host:ro' });
    await problemsOf({ CODER_MOUNTS: '/var/lib:/var/lib/docker' });
  });

  for (const source of ['/etc/ssl/certs', '/usr/share/fonts', '/dev/shm', '/var/lib/docker/volumes/x', '/run/secrets/kubernetes.io', '/proc/driver/nvidia', '/opt/envbox/lib']) {
    it(`${source} is bound as it is, with no mkdir, chmod, chown or remount`, async () => {
      const plan = JSON.parse(await planWith({ CODER_MOUNTS: `${source}:/mnt/x:ro` })) as { container: { create: { HostConfig: { Binds: string[] } } }; actions: { path?: string }[] };
      assert.ok(plan.container.create.HostConfig.Binds.includes(`${source}:/mnt/x:ro`));
      assert.deepEqual(plan.actions.filter((a) => a.path?.startsWith(source)), []);
    });
  }

  it('envbox plan with CODER_MOUNTS=/:/host exits 2 and plans no chmod or chown of "/"', async () => {
    const root = await projectDir();
    const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: '/:/host' }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /CODER_MOUNTS: entry 1 \(\\"\/:\/host\\"\) has the source \\"\/\\", the outer container's root/);
  });
});

describe('hostile: a mount source that is, or passes through, a link into a system dir gets the answer the dir gets', () => {
  /** Real links on this machine, resolved by `envbox plan` through the host's realpath. */
  async function linked(): Promise<{ root: string; links: Record<string, string> }> {
    const root = await projectDir();
    const links = { toRoot: join(root, 'to-root'), toEtc: join(root, 'to-etc'), toVar: join(root, 'to-var'), toCerts: join(root, 'to-certs') };
    await symlink('/', links.toRoot);
    await symlink('/etc', links.toEtc);
    await symlink('/var', links.toVar);
    await symlink('/etc/ssl/certs', links.toCerts);
    return { root, links };
  }

  for (const [name, source, message] of [
    ['a link to /', (l: Record<string, string>) => l.toRoot!, /has the source \\"[^"\\]+\/to-root\\" \(a link to \\"\/\\"\), the outer container's root/],
    ['a link to /etc', (l: Record<string, string>) => l.toEtc!, /has the source \\"[^"\\]+\/to-etc\\" \(a link to \\"\/etc\\"\), a system directory of the outer container/],
    ['a path through a link to /var, naming /var/lib', (l: Record<string, string>) => `${l.toVar!}/lib`, /has the source \\"[^"\\]+\/to-var\/lib\\" \(a link to \\"\/var\/lib\\"\), a system directory of the outer container/],
  ] as const) {
    it(`envbox plan exits 2 for ${name}, as for the dir itself, and plans nothing`, async () => {
      const { root, links } = await linked();
      const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: `${source(links)}:/host` }), root);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
    });
  }

  it('envbox plan exits 2 for :chown on a link into a system dir, as for the dir itself', async () => {
    const { root, links } = await linked();
    const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: `${links.toCerts}:/certs:chown` }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /:chown on \\"[^"\\]+\/to-certs\\" \(a link to \\"\/etc\/ssl\/certs\\"\) would shift owners inside a system directory of the outer container/);
  });

  it('a missing source behind a link to /etc is bound as it is, as /etc/<dir> itself, with no mkdir, chmod or chown', async () => {
    const { root, links } = await linked();
    const source = `${links.toEtc}/envbox-hostile-missing`;
    for (const named of [source, '/etc/envbox-hostile-missing']) {
      const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: `${named}:/x` }), root);
      assert.equal(result.code, 0, result.stderr);
      const plan = JSON.parse(result.stdout) as { container: { create: { HostConfig: { Binds: string[] } } }; actions: { path?: string }[] };
      assert.ok(plan.container.create.HostConfig.Binds.includes(`${named}:/x`));
      assert.deepEqual(plan.actions.filter((a) => a.path?.includes('envbox-hostile-missing')), [], named);
    }
  });

  it('envbox plan exits 2 for :chown on a missing source behind a link to /etc, as for /etc/<dir> itself', async () => {
    const { root, links } = await linked();
    const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: `${links.toEtc}/envbox-hostile-missing/deeper:/x:chown` }), root);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /:chown on \\"[^"\\]+\/to-etc\/envbox-hostile-missing\/deeper\\" \(a link to \\"\/etc\/envbox-hostile-missing\/deeper\\"\) would shift owners inside a system directory/);
  });

  it('a link to a dir below a system dir is bound as it is, with no mkdir, chmod or chown (as /etc/ssl/certs itself)', async () => {
    const { root, links } = await linked();
    const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: `${links.toCerts}:/certs:ro` }), root);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as { container: { create: { HostConfig: { Binds: string[] } } }; actions: { path?: string }[] };
    assert.ok(plan.container.create.HostConfig.Binds.includes(`${links.toCerts}:/certs:ro`));
    assert.deepEqual(plan.actions.filter((a) => a.path?.startsWith(links.toCerts!)), []);
  });
});

describe('hostile: envbox\'s own install is never handed to the workspace', () => {
  for (const mount of ['/opt:/opt:chown', '/opt/envbox:/x', '/envbox:/envbox', '/home:/home', `${projectRoot}:/src`, `${projectRoot}/core:/core:chown`]) {
    it(`envbox plan exits 2 for CODER_MOUNTS=${mount} and plans nothing`, async () => {
      const root = await projectDir();
      const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: mount }), root);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /CODER_MOUNTS: entry 1 .*(a system directory of the outer container|would shift owners inside a system directory)/);
    });
  }

  it('/opt/<other> and /home/<user> stay usable and are given to the workspace', async () => {
    const root = await projectDir();
    const result = await runCli(['plan'], planEnv(root, { CODER_MOUNTS: '/opt/envbox-hostile-tools:/tools,/home/coder:/home/coder' }), root);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as { actions: { kind: string; path?: string; uid?: number }[] };
    const chowns = plan.actions.filter((a) => a.kind === 'chown').map((a) => [a.path, a.uid]);
    assert.deepEqual(chowns, [['/opt/envbox-hostile-tools', 100000], ['/home/coder', 101000]]);
  });
});

describe('hostile: image facts read from the image are checked the same way', () => {
  it('a passwd uid that overflows once shifted fails the start with a message naming the user, and nothing is created', async () => {
    const run = await startLifecycle({}, { before: (docker) => { docker.files['/etc/passwd'] = `coder:x:${2 ** 32 - 1000}:1000::/home/coder:/bin/sh\n`; } });
    assert.equal(await run.exit, 1);
    const error = run.log.find((e) => e.type === 'error');
    assert.match(error?.output ?? '', /the user "coder" \(CODER_INNER_USERNAME\) of the image .* cannot be mapped: the uid 4294966296 plus ENVBOX_ID_OFFSET 100000/);
    assert.equal(run.docker.calls.some((c) => c.method === 'createContainer' && c.args[0] === 'workspace_cvm'), false);
  });
});
