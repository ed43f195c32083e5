import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRegistryAuth } from './registry-auth.js';

const decode = (encoded: string) => JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown;

describe('encodeRegistryAuth', () => {
  it('decodes back to the JSON of the credentials', () => {
    const auth = { username: 'alice', password: 's3cr3t-pass', serveraddress: 'registry.test:5000' };
    assert.deepEqual(decode(encodeRegistryAuth(auth)), auth);
  });

  it('encodes an identity token the same way', () => {
    const auth = { identitytoken: 'eyJhbGciOi.token', serveraddress: 'https://index.docker.io/v1/' };
    assert.deepEqual(decode(encodeRegistryAuth(auth)), auth);
  });

  it("uses the URL alphabet: '-' and '_' where standard base64 has '+' and '/'", () => {
    const auth = { username: 'alice', password: '??>>~~', serveraddress: 'registry.test:5000' };
    const standard = Buffer.from(JSON.stringify(auth)).toString('base64');
    assert.ok(standard.includes('+') && standard.includes('/'), 'this password must produce both characters');
    const encoded = encodeRegistryAuth(auth);
    assert.ok(!encoded.includes('+') && !encoded.includes('/'), encoded);
    assert.equal(encoded, standard.replaceAll('+', '-').replaceAll('/', '_'));
    assert.deepEqual(decode(encoded), auth);
  });

  it('keeps the "=" padding (dockerd decodes with padding)', () => {
    const oneByteShort = { username: 'alice', password: 's3cr3t?>', serveraddress: 'registry.test:5000' };
    const encoded = encodeRegistryAuth(oneByteShort);
    assert.equal(JSON.stringify(oneByteShort).length % 3, 1);
    assert.ok(encoded.endsWith('=='), encoded);
    assert.equal(encoded.length % 4, 0);
    assert.notEqual(encoded, Buffer.from(JSON.stringify(oneByteShort)).toString('base64url'), 'Node base64url drops padding');
  });
});
