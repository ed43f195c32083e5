import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../core/kernel/errors.js';
import { parseImageRef } from '../core/kernel/image-ref.js';
import { collectInputs } from '../core/engine/app.js';
import type { InputDef } from '../core/kernel/inputs/define.js';
import { resolveInputs, type InputSources } from '../core/kernel/inputs/resolve.js';
import { builtinPlugins } from '../plugins/index.js';

/**
 * The invalid-input suite: every input of the core and the built-in plugins, fed bad values the
 * way a pod template would (env vars), and through flags and a config file. Each problem must read
 * `VARIABLE: <what is wrong>. Example: <a valid value>` and never echo a secret.
 */
const ALL_INPUTS: InputDef[] = collectInputs(builtinPlugins());
const REQUIRED = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' };
const LINE = /^(.+?): .+\. Example: .+$/;

function resolve(sources: Partial<InputSources> & { env?: Record<string, string> }) {
  return resolveInputs(ALL_INPUTS, { flags: {}, ...sources, env: { ...REQUIRED, ...sources.env } });
}

function valueOf(env: string, sources: Partial<InputSources> & { env?: Record<string, string> }): unknown {
  const def = ALL_INPUTS.find((d) => d.env === env);
  assert.ok(def, `${env} is an input`);
  return resolve(sources).get(def);
}

/** The InputError that resolving these sources throws; fails the test when none is thrown. */
function inputError(sources: Partial<InputSources> & { env?: Record<string, string> }): InputError {
  try {
    resolve(sources);
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    for (const line of error.message.split('\n')) assert.match(line, LINE);
    return error;
  }
  assert.fail('expected an InputError');
}

/** Exactly one problem, for `variable`, whose text matches `pattern`, with the variable's own example. */
function assertOneProblem(sources: Partial<InputSources> & { env?: Record<string, string> }, variable: string, pattern: RegExp): InputError {
  const error = inputError(sources);
  assert.equal(error.problems.length, 1, error.message);
  const [problem] = error.problems;
  assert.equal(problem!.variable, variable);
  assert.match(problem!.problem, pattern);
  assert.match(error.message, new RegExp(`^${variable.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}: .+\\. Example: .+$`));
  return error;
}

type Case = readonly [env: string, value: string, pattern: RegExp];

const INVALID_ENV: Record<string, readonly Case[]> = {
  booleans: [
    ['CODER_ADD_TUN', 'sure', /^"sure" is not a boolean \(use true or false; 1, t, 0, f, yes, no, on and off also work\)$/],
    ['CODER_ADD_FUSE', 'maybe', /is not a boolean/],
    ['CODER_ADD_GPU', '2', /^"2" is not a boolean/],
    ['CODER_DEBUG', 'enabled', /is not a boolean/],
    ['CODER_DISABLE_IDMAPPED_MOUNT', 'y', /is not a boolean/],
  ],
  integers: [
    ['ENVBOX_ID_OFFSET', '-5', /^"-5" is not a whole number of ids$/],
    ['ENVBOX_ID_OFFSET', '0', /^0 is out of range \(1 to \d+ ids\)$/],
    ['ENVBOX_ID_OFFSET', '1.5', /is not a whole number of ids/],
    ['ENVBOX_ID_OFFSET', '99999999999999999999', /is out of range/],
    ['ENVBOX_DAEMON_TIMEOUT', '2147484', /is out of range \(1 to 86400 seconds\)/],
    ['ENVBOX_DAEMON_TIMEOUT', '30s', /^"30s" is not a whole number of seconds$/],
    ['ENVBOX_SHUTDOWN_TIMEOUT', '-1', /is not a whole number of seconds/],
    ['ENVBOX_BOOTSTRAP_LOG_LIMIT', '1MiB', /is not a whole number of bytes/],
  ],
  cpus: [
    ['CODER_CPUS', 'two', /^"two" is not a number of CPUs/],
    ['CODER_CPUS', '-1', /^"-1" is not a number of CPUs/],
    ['CODER_CPUS', '0', /^must be greater than 0$/],
    ['CODER_CPUS', '1.2345', /at most 3 decimals/],
  ],
  'byte sizes': [
    ['CODER_MEMORY', '1GG', /^"1GG" is not a byte size/],
    ['CODER_MEMORY', 'lots', /^"lots" is not a byte size/],
    ['CODER_MEMORY', '1', /below Docker's minimum memory limit of 6 MiB/],
  ],
  CIDRs: [
    ['CODER_DOCKER_BRIDGE_CIDR', '10.0.0.0', /^"10.0.0.0" is not an IPv4 CIDR$/],
    ['CODER_DOCKER_BRIDGE_CIDR', '300.1.1.1/24', /has an octet over 255/],
    ['CODER_DOCKER_BRIDGE_CIDR', '10.0.0.0/31', /the prefix \/31 must be between \/8 and \/30/],
  ],
  'mount lists': [
    ['CODER_MOUNTS', '/home/coder', /^entry "\/home\/coder" is not src:dst, src:dst:ro or src:dst:chown$/],
    ['CODER_MOUNTS', '/a:/b:ro:extra', /has the option "extra"; only ro, rw and chown are allowed/],
    ['CODER_MOUNTS', '/a:/a:ro,chown', /^entry 2 is the option "chown" on its own: options follow the target after a ":" \(src:dst:ro:chown\), because "," separates the mounts$/],
    ['CODER_MOUNTS', '/a:/a:ro:rw', /is both ro and rw/],
    ['CODER_MOUNTS', 'home/coder:/home/coder', /has a source that is not an absolute path/],
    ['CODER_MOUNTS', '/home/coder:home', /has a target that is not an absolute path/],
    ['CODER_MOUNTS', '/a:/b:rx', /has the option "rx"; only ro, rw and chown are allowed/],
    ['CODER_MOUNTS', '/a:/b,,/c:/d', /^entry 2 is empty \(remove the extra comma\)$/],
    ['CODER_MOUNTS', '/a:/b,', /^entry 2 is empty/],
  ],
  'image references': [
    ['CODER_INNER_IMAGE', 'Ubuntu', /^"Ubuntu" is not an image reference: the repository must be lowercase/],
    ['CODER_INNER_IMAGE', 'ubuntu 24.04', /^"ubuntu 24.04" is not an image reference: /],
    ['CODER_INNER_IMAGE', ' ubuntu', /no spaces/],
    ['CODER_INNER_IMAGE', 'ubuntu:-24.04', /the tag "-24.04" may hold only/],
    ['CODER_INNER_IMAGE', 'ubuntu:a+b', /the tag "a\+b" may hold only/],
    ['CODER_INNER_IMAGE', 'ubuntu@sha256:xyz', /the digest "sha256:xyz" is not algorithm:hex/],
    ['CODER_INNER_IMAGE', 'gcr.io/', /the repository must be lowercase/],
    ['CODER_INNER_IMAGE', 'bad_host!:5000/x', /is not an image reference/],
  ],
  'host names': [
    ['CODER_INNER_HOSTNAME', 'my_workspace', /^"my_workspace" is not a host name/],
    ['CODER_INNER_HOSTNAME', '-leading-dash', /is not a host name/],
    ['CODER_INNER_HOSTNAME', `${'a'.repeat(64)}.example`, /is not a host name/],
  ],
  URLs: [
    ['CODER_AGENT_URL', 'coder.example.com', /^"coder.example.com" is not an http\(s\) URL$/],
    ['CODER_AGENT_URL', 'ftp://coder.example.com', /is not an http\(s\) URL/],
  ],
  'docker hosts': [
    ['ENVBOX_DOCKER_HOST', 'localhost:2375', /is not unix:\/\/\/path\/to\/docker.sock or tcp:\/\/host:port/],
    ['ENVBOX_DOCKER_HOST', 'tcp://dockerd', /is not unix:\/\/\/path/],
    ['ENVBOX_DOCKER_HOST', 'unix://var/run/docker.sock', /is not unix:\/\/\/path/],
  ],
  'env filters': [
    ['CODER_INNER_ENVS', 'FOO BAR', /^"FOO BAR" is not a variable name or a NAME_PREFIX\* pattern$/],
    ['CODER_INNER_ENVS', 'FOO,KUBE*RNETES', /"KUBE\*RNETES" is not a variable name/],
    ['CODER_INNER_ENVS', '1FOO', /is not a variable name/],
  ],
  'image facts': [
    ['ENVBOX_IMAGE_FACTS', '{"uid":1000,', /^is not valid JSON: /],
    ['ENVBOX_IMAGE_FACTS', '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false}', /^is not image facts at osReleaseId: /],
    ['ENVBOX_IMAGE_FACTS', '{"uid":-1,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}', /^is not image facts at uid: /],
    ['ENVBOX_IMAGE_FACTS', '{"uid":1000,"gid":1000,"home":"home","hasInit":false,"osReleaseId":"ubuntu"}', /^is not image facts at home: /],
    ['ENVBOX_IMAGE_FACTS', '{"uid":1,"gid":1,"home":"/","hasInit":false,"osReleaseId":"x","extra":1}', /^is not image facts: Unrecognized key/],
  ],
  'absolute paths': [
    ['ENVBOX_DEVICE_DIR', 'tmp', /^"tmp" is not an absolute path$/],
    ['CODER_INNER_WORK_DIR', '~', /is not an absolute path/],
    ['CODER_DOCKER_CONFIG', 'config.json', /is not an absolute path/],
    ['CODER_EXTRA_CERTS_PATH', './certs', /is not an absolute path/],
    ['ENVBOX_CERTS_DIR', 'certs.d', /is not an absolute path/],
    ['CODER_USR_LIB_DIR', 'usr/lib', /is not an absolute path/],
    ['ENVBOX_DOCKER_DATA_ROOT', 'var/lib/docker', /is not an absolute path/],
  ],
  names: [
    ['ENVBOX_RUNTIME', 'sysbox runc', /may hold only letters, digits/],
    ['ENVBOX_CONTAINER_NAME', '_workspace', /is not a container name Docker accepts/],
    ['ENVBOX_USERNS_USER', 'coder/x', /may hold only letters, digits/],
    ['ENVBOX_ETHLINK', 'eth/0', /is not a network interface name/],
    ['ENVBOX_ETHLINK', 'averyverylonglinkname', /at most 15 characters/],
  ],
};

const SECRET_PASSWORD = 'Hunter2-Very-Secret';
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('invalid inputs, one per variable, as env vars', () => {
  for (const [group, cases] of Object.entries(INVALID_ENV)) {
    describe(group, () => {
      for (const [env, value, pattern] of cases) {
        it(`${env}=${JSON.stringify(value)}`, () => {
          const error = assertOneProblem({ env: { [env]: value } }, env, pattern);
          const def = ALL_INPUTS.find((d) => d.env === env)!;
          assert.ok(error.message.endsWith(`. Example: ${env}=${def.example}`));
        });
      }
    });
  }
});

describe('the pull secret never shows up in a message', () => {
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ['not JSON', `{"auths": {"registry.test": {"password": ${SECRET_PASSWORD}}}}`, /^is not valid JSON \(the value is hidden because it is secret\)$/],
    ['not JSON at all', SECRET_PASSWORD, /^is not valid JSON \(the value is hidden/],
    ['auths is a list', `{"auths": ["${SECRET_PASSWORD}"]}`, /^is not a docker config JSON .* at auths: /],
    ['no auths (the old .dockercfg shape)', `{"registry.test": {"auth": "${b64(`u:${SECRET_PASSWORD}`)}"}}`, /^is not a docker config JSON .* at auths: /],
    ['a password that is not text', `{"auths": {"registry.test": {"username": "${SECRET_PASSWORD}", "password": 12345}}}`, /at auths\.registry\.test\.password: /],
    ['auth is not base64', `{"auths": {"registry.test": {"auth": "${SECRET_PASSWORD}!"}}}`, /at auths\.registry\.test\.auth: is not base64 of "user:password"$/],
    ['auth is base64 without a colon', `{"auths": {"registry.test": {"auth": "${b64(SECRET_PASSWORD)}"}}}`, /at auths\.registry\.test\.auth: is not base64 of "user:password"$/],
  ];
  for (const [name, value, pattern] of cases) {
    it(`CODER_IMAGE_PULL_SECRET: ${name}`, () => {
      const error = assertOneProblem({ env: { CODER_IMAGE_PULL_SECRET: value } }, 'CODER_IMAGE_PULL_SECRET', pattern);
      for (const leak of [value, SECRET_PASSWORD, b64(SECRET_PASSWORD), b64(`u:${SECRET_PASSWORD}`)]) {
        assert.ok(!error.message.includes(leak), `the message leaks ${leak}: ${error.message}`);
      }
    });
  }

  it('is hidden when given as the --image-secret flag too', () => {
    const error = assertOneProblem({ flags: { 'image-secret': SECRET_PASSWORD } }, '--image-secret', /hidden because it is secret/);
    assert.ok(!error.message.includes(SECRET_PASSWORD));
  });

  it('an empty --agent-token is reported without an echo', () => {
    assertOneProblem({ flags: { 'agent-token': '' } }, '--agent-token', /^must not be empty$/);
  });
});

describe('required inputs', () => {
  it('reports a missing CODER_INNER_IMAGE with an example', () => {
    const error = inputError({ env: { CODER_INNER_IMAGE: undefined as unknown as string } });
    assert.equal(error.message, 'CODER_INNER_IMAGE: is required but not set. Example: CODER_INNER_IMAGE=codercom/enterprise-base:ubuntu');
  });

  it('counts an empty env var as unset, because pod templates render optional values as ""', () => {
    const error = inputError({ env: { CODER_INNER_IMAGE: '', CODER_INNER_USERNAME: '' } });
    assert.deepEqual(error.problems.map((p) => [p.variable, p.problem]), [
      ['CODER_INNER_IMAGE', 'is required but not set'],
      ['CODER_INNER_USERNAME', 'is required but not set'],
    ]);
  });

  it('takes a required input from a config file', () => {
    const ref = valueOf('CODER_INNER_IMAGE', { env: { CODER_INNER_IMAGE: '' }, config: { innerImage: 'ubuntu:24.04' }, configFile: 'envbox.config.js' });
    assert.deepEqual(ref, { raw: 'ubuntu:24.04', registry: 'docker.io', repository: 'library/ubuntu', tag: '24.04' });
  });
});

describe('how the message spells the variable', () => {
  it('names the env var and gives an env example', () => {
    const error = inputError({ env: { CODER_CPUS: 'two' } });
    assert.equal(error.message, 'CODER_CPUS: "two" is not a number of CPUs (a positive number, at most 3 decimals). Example: CODER_CPUS=2');
  });

  it('names the flag and gives a flag example', () => {
    const error = inputError({ flags: { cpus: 'two' } });
    assert.equal(error.message, '--cpus: "two" is not a number of CPUs (a positive number, at most 3 decimals). Example: --cpus=2');
  });

  it('names the config key and its file, with a config example', () => {
    const error = inputError({ config: { cpus: 'two' }, configFile: '/etc/envbox/envbox.config.js' });
    assert.equal(error.message,
      'cpus (in /etc/envbox/envbox.config.js): "two" is not a number of CPUs (a positive number, at most 3 decimals). Example: options: { cpus: "2" }');
  });

  it('reports an unknown config key', () => {
    const error = inputError({ config: { cpu: 2 }, configFile: 'envbox.config.js' });
    assert.match(error.message, /^cpu \(in envbox.config.js\): is not a known option \(did you mean "cpus"\?\)\. Example: options: \{ cpus: "2" \}/);
  });

  it('suggests the nearest option for a typo, as Vite does, and none when nothing is close', () => {
    assert.match(inputError({ config: { cpuss: 2 }, configFile: 'c.js' }).message, /^cpuss \(in c.js\): is not a known option \(did you mean "cpus"\?\)/);
    assert.match(inputError({ config: { addFsue: true }, configFile: 'c.js' }).message, /\(did you mean "addFuse"\?\)/);
    assert.match(inputError({ config: { somethingElse: 1 }, configFile: 'c.js' }).message, /^somethingElse \(in c.js\): is not a known option\. Example: options: \{ cpus: 2 \}/);
  });

  it('rejects a config value that is neither text, number nor boolean', () => {
    assertOneProblem({ config: { mounts: ['/a:/a'] }, configFile: 'envbox.config.js' }, 'mounts (in envbox.config.js)', /^must be text$/);
  });
});

describe('precedence: flag > env > config > default', () => {
  const config = { cpus: 1, idOffset: 300000 };
  const configFile = 'envbox.config.js';

  it('a flag beats env and config', () => {
    assert.equal(valueOf('CODER_CPUS', { flags: { cpus: '3' }, env: { CODER_CPUS: '2' }, config, configFile }), 3);
  });

  it('env beats config', () => {
    assert.equal(valueOf('CODER_CPUS', { env: { CODER_CPUS: '2' }, config, configFile }), 2);
  });

  it('config beats the default, and numbers and booleans in a config file are accepted', () => {
    assert.equal(valueOf('CODER_CPUS', { config, configFile }), 1);
    assert.equal(valueOf('ENVBOX_ID_OFFSET', { config, configFile }), 300000);
    assert.equal(valueOf('CODER_ADD_FUSE', { config: { addFuse: true }, configFile }), true);
  });

  it('the default applies when nothing is given, and an empty env var falls through to config', () => {
    assert.equal(valueOf('ENVBOX_ID_OFFSET', {}), 100000);
    assert.equal(valueOf('CODER_CPUS', {}), undefined);
    assert.equal(valueOf('ENVBOX_ID_OFFSET', { env: { ENVBOX_ID_OFFSET: '' }, config, configFile }), 300000);
  });

  it('only the winning source is parsed: a bad env var under a good flag is not a problem', () => {
    assert.equal(valueOf('CODER_ADD_TUN', { flags: { 'add-tun': true }, env: { CODER_ADD_TUN: 'sure' } }), true);
  });

  it('a bad flag is reported as the flag even when the env var is fine', () => {
    assertOneProblem({ flags: { memory: 'lots' }, env: { CODER_MEMORY: '1Gi' } }, '--memory', /is not a byte size/);
  });
});

describe('every problem at once', () => {
  it('collects all problems in one error, one line each, in the order the inputs are defined', () => {
    const error = inputError({
      env: {
        CODER_INNER_IMAGE: '', CODER_ADD_TUN: 'sure', CODER_CPUS: 'two', CODER_MOUNTS: '/a', ENVBOX_IMAGE_FACTS: '{',
        CODER_IMAGE_PULL_SECRET: SECRET_PASSWORD,
      },
      flags: { 'docker-host': 'nope' },
      config: { memory: '1GG', nonsense: 1 }, configFile: 'envbox.config.js',
    });
    const variables = error.problems.map((p) => p.variable);
    assert.deepEqual(new Set(variables), new Set([
      'nonsense (in envbox.config.js)', 'CODER_INNER_IMAGE', '--docker-host', 'ENVBOX_IMAGE_FACTS', 'CODER_ADD_TUN', 'CODER_MOUNTS',
      'CODER_IMAGE_PULL_SECRET', 'CODER_CPUS', 'memory (in envbox.config.js)',
    ]));
    assert.equal(variables[0], 'nonsense (in envbox.config.js)');
    assert.ok(variables.indexOf('CODER_INNER_IMAGE') < variables.indexOf('CODER_ADD_TUN'), 'core inputs come before plugin inputs');
    assert.equal(error.message.split('\n').length, 9);
    assert.ok(!error.message.includes(SECRET_PASSWORD));
  });
});

describe('valid forms', () => {
  // The original's Images suite, plus a local registry with a port and a path.
  const IMAGES: readonly (readonly [string, { registry: string; repository: string; tag?: string; digest?: string }])[] = [
    ['ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }],
    ['ubuntu/ubuntu', { registry: 'docker.io', repository: 'ubuntu/ubuntu' }],
    ['ubuntu:latest', { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' }],
    ['ubuntu:24.04', { registry: 'docker.io', repository: 'library/ubuntu', tag: '24.04' }],
    ['ubuntu/ubuntu:18.04', { registry: 'docker.io', repository: 'ubuntu/ubuntu', tag: '18.04' }],
    ['gcr.io/ubuntu', { registry: 'gcr.io', repository: 'ubuntu' }],
    ['gcr.io/ubuntu:24.04', { registry: 'gcr.io', repository: 'ubuntu', tag: '24.04' }],
    ['gcr.io/images/helloworld@sha256:13e101dd511a26a2147e123456bdff5845c9461aaa53d856845745b063001234',
      { registry: 'gcr.io', repository: 'images/helloworld', digest: 'sha256:13e101dd511a26a2147e123456bdff5845c9461aaa53d856845745b063001234' }],
    ['localhost:5000/x', { registry: 'localhost:5000', repository: 'x' }],
    ['registry.test:5000/ns/img:tag', { registry: 'registry.test:5000', repository: 'ns/img', tag: 'tag' }],
  ];
  for (const [raw, expected] of IMAGES) {
    it(`image ${raw}`, () => {
      assert.deepEqual(valueOf('CODER_INNER_IMAGE', { env: { CODER_INNER_IMAGE: raw } }), { raw, ...expected });
      assert.deepEqual(parseImageRef(raw), { raw, ...expected });
    });
  }

  const VALID: readonly (readonly [string, string, unknown])[] = [
    ['CODER_ADD_TUN', 'TRUE', true],
    ['CODER_ADD_FUSE', ' yes ', true],
    ['CODER_ADD_GPU', 'off', false],
    ['CODER_CPUS', '1.5', 1.5],
    ['CODER_CPUS', '0.125', 0.125],
    ['CODER_MEMORY', '1Gi', 2 ** 30],
    ['CODER_MEMORY', '512M', 512e6],
    ['CODER_MEMORY', '1073741824', 1073741824],
    ['CODER_DOCKER_BRIDGE_CIDR', '10.10.0.0/16', { cidr: '10.10.0.0/16', firstHost: '10.10.0.1', prefix: 16 }],
    ['CODER_DOCKER_BRIDGE_CIDR', '172.19.0.1/30', { cidr: '172.19.0.1/30', firstHost: '172.19.0.1', prefix: 30 }],
    ['CODER_MOUNTS', '/home/coder:/home/coder, /etc/ssl:/etc/ssl:ro', [
      { source: '/home/coder', target: '/home/coder', readOnly: false },
      { source: '/etc/ssl', target: '/etc/ssl', readOnly: true },
    ]],
    ['CODER_MOUNTS', '/home/coder:/home/coder:chown,/data:/data:chown:ro,/x:/x:ro:chown', [
      { source: '/home/coder', target: '/home/coder', readOnly: false, chown: true },
      { source: '/data', target: '/data', readOnly: true, chown: true },
      { source: '/x', target: '/x', readOnly: true, chown: true },
    ]],
    ['ENVBOX_DOCKER_HOST', '/var/run/docker.sock', 'unix:///var/run/docker.sock'],
    ['ENVBOX_DOCKER_HOST', 'tcp://127.0.0.1:2375', 'tcp://127.0.0.1:2375'],
    ['CODER_AGENT_URL', 'https://coder.example.com/', 'https://coder.example.com'],
    ['CODER_INNER_ENVS', 'FOO, KUBERNETES_*,', ['FOO', 'KUBERNETES_*']],
    ['CODER_INNER_HOSTNAME', 'my-workspace.example', 'my-workspace.example'],
    ['ENVBOX_DEVICE_DIR', '/run/envbox/', '/run/envbox'],
    ['CODER_IMAGE_PULL_SECRET', `{"auths":{"r.test":{"auth":"${b64('u:p')}"},"x":{}},"credsStore":"desktop"}`,
      { auths: { 'r.test': { auth: b64('u:p') }, x: {} }, credsStore: 'desktop' }],
  ];
  for (const [env, raw, expected] of VALID) {
    it(`${env}=${JSON.stringify(raw)}`, () => {
      assert.deepEqual(valueOf(env, { env: { [env]: raw } }), expected);
    });
  }
});

describe('the inputs themselves', () => {
  it('have unique env vars, flags and config keys, all prefixed CODER_ or ENVBOX_ (the proxy variables keep the names every tool reads)', () => {
    for (const field of ['env', 'flag', 'key'] as const) {
      const names = ALL_INPUTS.map((d) => d[field]);
      assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], `duplicate ${field}`);
    }
    const STANDARD = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']);
    assert.deepEqual(ALL_INPUTS.filter((d) => !STANDARD.has(d.env) && !/^(CODER|ENVBOX)_[A-Z0-9_]+$/.test(d.env)).map((d) => d.env), []);
  });

  for (const def of ALL_INPUTS) {
    it(`${def.env}'s own example is valid`, () => {
      assert.doesNotThrow(() => resolve({ env: { [def.env]: def.example } }));
    });
  }
});

describe('byte-size units', () => {
  it('reads Kubernetes units (M decimal, Mi binary) and Docker lowercase units (m binary)', async () => {
    const { byteSizeInput } = await import('../core/kernel/inputs/input-kinds.js');
    assert.equal(byteSizeInput.parse('512M'), 512e6);
    assert.equal(byteSizeInput.parse('512Mi'), 512 * 2 ** 20);
    assert.equal(byteSizeInput.parse('512m'), 512 * 2 ** 20);
    assert.equal(byteSizeInput.parse('1g'), 2 ** 30);
    assert.equal(byteSizeInput.parse('1073741824'), 2 ** 30);
  });
});

describe('secret values for scrubbing', () => {
  it('include every secret string leaf of a structured secret such as the parsed pull secret, not its username', async () => {
    const { OptionValues } = await import('../core/kernel/inputs/options.js');
    const def = { key: 'pull', env: 'X_PULL', flag: 'pull', schema: null as never, secret: true, description: '', example: '' };
    const values = new OptionValues(new Map([['pull', { auths: { r: { username: 'u', password: 'hunter22', auth: 'dTpodW50ZXIyMg==' } } }]]), new Map([['pull', def]]));
    assert.deepEqual(values.secretValues().sort(), ['dTpodW50ZXIyMg==', 'hunter22'].sort());
  });
});
