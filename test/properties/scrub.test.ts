// The scrubber finds a secret in every form it is written in, wherever it sits in a line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SecretScrubber } from '../../core/kernel/scrub.js';
import { propertyOptions } from './settings.js';

/** The scrubber skips shorter secrets (they would garble every line); the property holds from this length on. */
const MIN_SECRET_LENGTH = 4;

// Characters that each writer escapes differently, and ordinary ones. No lone surrogates: a secret
// comes from env or a file as UTF-8, which cannot hold one.
const SECRET_CHARS = [...'abcXYZ019-_.~+/=:@%&<>"\'\\ !#?[]{}$', '\n', '\t', '\b', '\f', '\x01', '\x7f', 'é', '€', '😀', '\u2028'];
const secret = fc.array(fc.constantFrom(...SECRET_CHARS), { minLength: MIN_SECRET_LENGTH, maxLength: 24 }).map((chars) => chars.join(''))
  .filter((s) => s.length >= MIN_SECRET_LENGTH);

// Reference writers, written apart from the scrubber's own so that the test does not check the code against itself.
const json = (s: string) => JSON.stringify(s).slice(1, -1);
/** Go's encoding/json: \u0008 and \u000c rather than \b and \f; <, >, &, U+2028 and U+2029 as \u escapes. */
const goJson = (s: string) => json(s)
  .replace(/\\(.)/g, (escape, c: string) => (c === 'b' ? '\\u0008' : c === 'f' ? '\\u000c' : escape))
  .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** Go's strconv.Quote (logrus's msg="..."), for the characters above. */
const GO_QUOTE: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\x01': '\\x01', '\x7f': '\\x7f', '\u2028': '\\u2028' };
const logrus = (s: string) => [...s].map((c) => GO_QUOTE[c] ?? c).join('');
const base64 = (s: string) => Buffer.from(s).toString('base64');

const ENCODINGS: Record<string, (s: string) => string> = {
  raw: (s) => s,
  'JSON once': json,
  'JSON twice': (s) => json(json(s)),
  'Go JSON': goJson,
  'Go JSON in JSON': (s) => json(goJson(s)),
  'logrus around raw': logrus,
  'logrus around JSON': (s) => logrus(json(s)),
  'logrus around Go JSON': (s) => logrus(goJson(s)),
  base64,
  'base64 unpadded': (s) => base64(s).replace(/=+$/, ''),
  base64url: (s) => Buffer.from(s).toString('base64url'),
  'percent-encoded in a URL': (s) => `https://user:${encodeURIComponent(s)}@proxy.corp:3128`,
};

describe(`property: no output holds a secret (of ${MIN_SECRET_LENGTH} characters or more) in any form`, () => {
  for (const [name, encode] of Object.entries(ENCODINGS)) {
    it(name, () => {
      fc.assert(fc.property(secret, fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (value, before, after) => {
        const scrubber = new SecretScrubber();
        scrubber.add([value]);
        const written = encode(value).replace(/^https:\/\/user:|@proxy\.corp:3128$/g, '');
        const out = scrubber.scrub(`${before}${encode(value)}${after}`);
        assert.ok(!out.includes(written), `the ${name} form survived: ${JSON.stringify(out)}`);
        assert.ok(!out.includes(value), `the secret survived: ${JSON.stringify(out)}`);
      }), propertyOptions(300));
    });
  }

  it('base64 of a longer value holding the secret (user:password, a JSON auth header): no base64 run decodes to it', () => {
    // From 7 bytes: the scrubber leaves shorter secrets' cores (under 8 characters) alone, since they could match any base64 text by chance.
    const longer = fc.array(fc.constantFrom(...SECRET_CHARS), { minLength: 7, maxLength: 24 }).map((c) => c.join(''));
    fc.assert(fc.property(longer, fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ maxLength: 7 }), fc.boolean(), (value, before, after, url) => {
      if (Buffer.byteLength(value) < 7) return;
      const scrubber = new SecretScrubber();
      scrubber.add([value]);
      const blob = Buffer.concat([before, Buffer.from(value), after]).toString(url ? 'base64url' : 'base64');
      const out = scrubber.scrub(`auth: ${blob} ok`);
      for (const run of out.match(/[A-Za-z0-9+/_=-]+/g) ?? []) {
        for (const skip of [0, 1, 2, 3]) {
          const decoded = Buffer.from(run.slice(skip).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
          assert.ok(!decoded.includes(Buffer.from(value)), `${JSON.stringify(value)} decodes from ${JSON.stringify(out)}`);
        }
      }
    }), propertyOptions(300));
  });

  it('every secret of several, each in a random form, in one line', () => {
    const names = Object.keys(ENCODINGS);
    fc.assert(fc.property(fc.array(fc.tuple(secret, fc.constantFrom(...names), fc.string({ maxLength: 10 })), { minLength: 1, maxLength: 4 }), (parts) => {
      const scrubber = new SecretScrubber();
      scrubber.add(parts.map(([value]) => value));
      const out = scrubber.scrub(parts.map(([value, name, text]) => `${text}${ENCODINGS[name]!(value)}`).join(' '));
      for (const [value] of parts) assert.ok(!out.includes(value), `${JSON.stringify(value)} survived in ${JSON.stringify(out)}`);
    }), propertyOptions(300));
  });
});
