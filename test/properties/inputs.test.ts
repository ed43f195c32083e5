// Every parser of untrusted text returns a value or an input problem, never a crash: each input of
// the core and of every built-in plugin, from env text and from a config file's values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectInputs } from '../../core/engine/app.js';
import { resolveInputsCollecting } from '../../core/kernel/inputs/resolve.js';
import { builtinPlugins } from '../../plugins/index.js';
import { hostileText, propertyOptions } from './settings.js';

const DEFS = collectInputs(builtinPlugins());

/** Resolves one input from env text; a thrown error is the failure, a problem is an answer. */
function resolveOne(env: string, value: unknown, from: 'env' | 'config'): void {
  const def = DEFS.find((d) => d.env === env)!;
  const sources = from === 'env' ? { env: { [env]: value as string }, flags: {} } : { env: {}, flags: {}, config: { [def.key]: value } };
  const { options, problems } = resolveInputsCollecting([def], sources);
  for (const p of problems) assert.equal(typeof p.problem, 'string');
  // What every run does next with the values: scrub their secrets, print them in the plan.
  options.secretValues();
  JSON.stringify(options.toJSON());
}

/** Text shaped like each kind of input, so the properties reach past the first check of each parser. */
const part = fc.oneof(hostileText, fc.constantFrom('/home/coder', '/x', 'ro', 'rw', 'chown', 'FOO', 'KUBERNETES_*', '*', '10.0.0.1', '/24', '1.5', 'Gi', 'http://', 'u:p@', 'h:3128'));
const shaped = fc.array(part, { maxLength: 8 }).chain((parts) => fc.constantFrom(',', ':', '.', '/', '', '@').map((sep) => parts.join(sep)));

/** What follows the scheme: "://" as it must be written, and the typos WHATWG's URL still reads as an authority. */
const SLASHES = fc.constantFrom('://', '://', ':/', ':///', ':\\\\', ':/\\', ':\\/', ':', ':/\t/');

describe('property: every input parser answers a value or a problem, never a crash', () => {
  for (const def of DEFS) {
    it(`${def.env}`, () => {
      fc.assert(fc.property(fc.oneof(hostileText, shaped), (text) => resolveOne(def.env, text, 'env')), propertyOptions(150));
      fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.double(), fc.bigInt().map(String)), (value) => resolveOne(def.env, value, 'config')), propertyOptions(50));
    });
  }

  it('the mount list, CIDR, sizes, CPUs and proxy URLs on text shaped like them', () => {
    const mount = fc.tuple(part, part, fc.array(fc.constantFrom('ro', 'rw', 'chown', '', 'x'), { maxLength: 3 })).map(([s, t, o]) => [s, t, ...o].join(':'));
    const octet = fc.oneof(fc.nat(300), fc.constantFrom(0, 255, 256, 999, 1e21)).map(String);
    const cidr = fc.tuple(octet, octet, octet, octet, fc.oneof(fc.nat(40), fc.constant(99))).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`);
    const number = fc.oneof(fc.double({ noNaN: false }).map(String), fc.nat().map(String), fc.stringMatching(/^\d{0,30}(\.\d{0,30})?$/));
    const size = fc.tuple(number, fc.constantFrom('', ' ', 'Ki', 'Mi', 'Gi', 'Ti', 'K', 'M', 'G', 'k', 'm', 'g', 'B', 'Pi', 'e3')).map(([n, u]) => n + u);
    const userinfo = fc.string({ unit: fc.constantFrom(...'ab:@%2F40zZ/ ?#"\\é'), maxLength: 20 });
    const proxy = fc.tuple(fc.constantFrom('http', 'https', 'socks5', 'ftp', ''), SLASHES, userinfo, fc.constantFrom('proxy', 'h:3128', '[::1]:1', '', 'a b'), fc.constantFrom('', '/', '/x', '?q', '#f'))
      .map(([scheme, slashes, info, host, rest]) => `${scheme}${slashes}${info}@${host}${rest}`);
    const cases: [string, fc.Arbitrary<string>][] = [
      ['CODER_MOUNTS', fc.array(mount, { maxLength: 4 }).map((m) => m.join(','))],
      ['CODER_INNER_ENVS', fc.array(part, { maxLength: 5 }).map((m) => m.join(','))],
      ['CODER_DOCKER_BRIDGE_CIDR', cidr],
      ['CODER_MEMORY', size],
      ['CODER_CPUS', number],
      ['HTTP_PROXY', proxy],
      ['ENVBOX_REGISTRY_MIRRORS', fc.array(proxy, { maxLength: 3 }).map((m) => m.join(','))],
    ];
    for (const [env, arbitrary] of cases) {
      assert.ok(DEFS.some((d) => d.env === env), `${env} is an input`);
      fc.assert(fc.property(arbitrary, (text) => resolveOne(env, text, 'env')), propertyOptions(300));
    }
  });
});

describe('property: a URL input with a password, its "//" written right or mistyped, never shows the password', () => {
  const password = fc.stringMatching(/^[A-Za-z0-9._~-]{4,16}$/).map((p) => `Pw${p}`);
  const user = fc.constantFrom('u', 'alice', '', 'a%40b');
  const url = fc.tuple(fc.constantFrom('http', 'https', 'socks5', 'tcp', 'HTTP'), SLASHES, user, password, fc.constantFrom('proxy.corp:3128', 'h', '[::1]:1'), fc.constantFrom('', '/'));

  for (const env of ['HTTP_PROXY', 'HTTPS_PROXY', 'CODER_AGENT_URL', 'ENVBOX_REGISTRY_MIRRORS', 'ENVBOX_DOCKER_HOST']) {
    it(`${env}: refused without quoting it, or accepted with it a secret value and hidden from the plan`, () => {
      const def = DEFS.find((d) => d.env === env)!;
      fc.assert(fc.property(url, ([scheme, slashes, name, secret, host, rest]) => {
        const text = `${scheme}${slashes}${name}:${secret}@${host}${rest}`;
        const { options, problems } = resolveInputsCollecting([def], { env: { [env]: text }, flags: {} });
        for (const p of problems) assert.equal(p.problem.includes(secret), false, p.problem);
        if (problems.length > 0) return;
        assert.ok(options.secretValues().includes(secret), `${JSON.stringify(text)} was accepted, but its password is no secret`);
        assert.equal(JSON.stringify(options.toJSON()).includes(secret), false);
      }), propertyOptions(300));
    });
  }
});
