// The image's files (/etc/passwd, /etc/os-release, /etc/docker/daemon.json) and docker configs are
// written by someone else: each parser returns a value or a problem, never a crash or a hang.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findPasswdEntry, findPasswdEntryInStream, osReleaseId } from '../../core/engine/read-image-facts.js';
import { parseJson } from '../../core/kernel/inputs/input-kinds.js';
import { mergeDaemonJson } from '../../plugins/inner-docker/merge.js';
import { authKeyHost, chooseAuth, credentialSecrets, decodeBasicAuth, dockerConfigFileSchema, dockerConfigSchema } from '../../plugins/pullsecret/docker-config.js';
import { hostileText, propertyOptions } from './settings.js';

const field = fc.oneof(hostileText, fc.constantFrom('coder', '1000', '0', '', '-1', '1e3', '99999999999999999999', '/home/coder', 'x'.repeat(5000)));
const passwdLine = fc.array(field, { maxLength: 9 }).map((fields) => fields.join(':'));
const passwd = fc.array(fc.oneof(passwdLine, hostileText), { maxLength: 12 }).chain((lines) => fc.constantFrom('\n', '\r\n', '').map((eol) => lines.join(eol)));
const username = fc.oneof(fc.constantFrom('coder', 'root', ''), hostileText);

/** A stream cut into random chunks, as dockerd's archive reader hands it over. */
function chunked(text: string, cuts: number[]): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks = [0, ...points].map((start, i) => bytes.subarray(start, [...points, bytes.length][i]));
  return Readable.from(chunks.filter((c) => c.length > 0));
}

describe("property: the image's files and docker configs parse to a value or a problem, never a crash", () => {
  it('/etc/passwd: the user\'s entry or null, never a crash; an entry has whole-number ids', async () => {
    await fc.assert(fc.asyncProperty(passwd, username, fc.array(fc.nat(), { maxLength: 5 }), async (text, user, cuts) => {
      const entry = findPasswdEntry(text, user);
      if (entry) assert.ok(Number.isInteger(entry.uid) && Number.isInteger(entry.gid) && entry.uid >= 0, JSON.stringify(entry));
      const streamed = await findPasswdEntryInStream(chunked(text, cuts), user, { maxBytes: 4096, maxLineBytes: 512 });
      if (streamed && streamed !== 'capped') assert.ok(Number.isInteger(streamed.uid) && Number.isInteger(streamed.gid), JSON.stringify(streamed));
    }), propertyOptions(300));
  });

  it('/etc/os-release: an ID, or "linux", never a crash', () => {
    const line = fc.oneof(hostileText, field.map((v) => `ID=${v}`), field.map((v) => `ID="${v}"`));
    fc.assert(fc.property(fc.option(fc.array(line, { maxLength: 8 }).map((l) => l.join('\n'))), (text) => {
      assert.equal(typeof osReleaseId(text), 'string');
    }), propertyOptions(300));
  });

  it("daemon.json: merged, unchanged or invalid, never a crash; an image's key is never overwritten", () => {
    const existing = fc.option(fc.oneof(hostileText, fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.oneof(fc.constantFrom('mtu', 'proxies', 'registry-mirrors', '__proto__', 'constructor', 'toString'), fc.string()), fc.jsonValue({ maxDepth: 2 })).map((v) => JSON.stringify(v))));
    const wanted = fc.record({ mtu: fc.nat(), 'registry-mirrors': fc.array(fc.string()), proxies: fc.record({ 'http-proxy': fc.string() }) }, { requiredKeys: [] });
    fc.assert(fc.property(existing, wanted, (text, settings) => {
      const result = mergeDaemonJson(text, settings);
      if (result.kind !== 'write') return;
      const before = JSON.parse(text && text.trim() !== '' ? text : '{}') as Record<string, unknown>;
      const after = JSON.parse(result.text) as Record<string, unknown>;
      for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], key);
    }), propertyOptions(300));
  });

  const authEntry = fc.record({
    auth: fc.oneof(hostileText, fc.string().map((s) => Buffer.from(s).toString('base64')), fc.constantFrom('Og==', 'dTo=', 'OnA=', 'dTpw')),
    username: fc.oneof(hostileText, fc.jsonValue()), password: fc.oneof(hostileText, fc.jsonValue()), identitytoken: fc.oneof(hostileText, fc.jsonValue()),
  }, { requiredKeys: [] });
  const authKey = fc.oneof(hostileText, fc.constantFrom('https://index.docker.io/v1/', 'docker.io', 'registry.test:5000', 'http://r/x', '', '__proto__', 'constructor'));
  const config = fc.oneof(
    fc.jsonValue({ maxDepth: 5 }),
    fc.record({ auths: fc.oneof(fc.dictionary(authKey, fc.oneof(authEntry, fc.jsonValue({ maxDepth: 2 }))), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }),
  );
  const registry = fc.constantFrom('docker.io', 'registry.test:5000', 'index.docker.io', 'ghcr.io', 'localhost:5000');

  it('docker configs (CODER_IMAGE_PULL_SECRET, CODER_DOCKER_CONFIG): parsed or a problem; credentials chosen or none, never a crash', () => {
    fc.assert(fc.property(config, registry, (value, reg) => {
      for (const schema of [dockerConfigSchema, dockerConfigFileSchema]) {
        const parsed = parseJson(JSON.stringify(value), schema, 'a docker config', true);
        const auths = typeof parsed === 'object' && parsed !== null && 'auths' in parsed ? parsed.auths : undefined;
        chooseAuth(auths, reg);
        for (const secret of credentialSecrets(auths)) assert.equal(typeof secret, 'string');
      }
      chooseAuth((value as { auths?: unknown } | null)?.auths, reg);
      credentialSecrets((value as { auths?: unknown } | null)?.auths);
    }), propertyOptions(300));
    fc.assert(fc.property(hostileText, (text) => {
      decodeBasicAuth(text);
      assert.equal(typeof authKeyHost(text), 'string');
      parseJson(text, dockerConfigSchema, 'a docker config', true);
    }), propertyOptions(300));
  });

  it('docker configs nested deeper than any parser recurses: a problem or a value, never a stack overflow', () => {
    fc.assert(fc.property(fc.constantFrom(10, 1_000, 20_000, 200_000), fc.constantFrom('[', '{"a":'), (depth, open) => {
      const close = open === '[' ? ']' : '}';
      const deep = `${open.repeat(depth)}"x"${close.repeat(depth)}`;
      const text = `{"auths":{"r":{"password":"pw-1234","x":${deep}}}}`;
      const parsed = parseJson(text, dockerConfigSchema, 'a docker config', true);
      if (typeof parsed === 'object' && parsed !== null && 'auths' in parsed) {
        credentialSecrets(parsed.auths);
        chooseAuth(parsed.auths, 'registry.test');
      }
    }), propertyOptions(8));
  });
});
