import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactEnvValue, type SecretFields } from './redact-plan.js';

const NONE: SecretFields = { names: new Set(), values: new Set() };

describe('redactEnvValue', () => {
  it('hides the password of a URL in any env value, the rest readable', () => {
    assert.equal(redactEnvValue('PROXY', 'http://alice:pw-0001@proxy:3128', NONE), 'http://alice:[redacted]@proxy:3128');
    assert.equal(redactEnvValue('PROXY', 'http://proxy:3128/a@b', NONE), 'http://proxy:3128/a@b');
  });

  it("hides a password that holds '@' whole: the userinfo ends at the last '@' before the host, as in Go", () => {
    assert.equal(redactEnvValue('PROXY', 'http://alice:pw@rest-of-it@proxy:3128/x', NONE), 'http://alice:[redacted]@proxy:3128/x');
    assert.equal(redactEnvValue('PROXY', 'http://al@ce:pw-0002@proxy:3128', NONE), 'http://al@ce:[redacted]@proxy:3128');
    assert.equal(redactEnvValue('URLS', 'http://a:pw-0003@h1,http://b:pw@0004@h2', NONE).includes('pw'), false);
  });
});
