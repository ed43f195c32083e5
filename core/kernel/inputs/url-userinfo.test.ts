import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentDecode, schemeSlashesProblem, urlPassword, urlPasswordForms, urlSecretForms, userinfoOf, UserinfoError } from './url-userinfo.js';

describe('urlPassword (split as Go net/url splits it)', () => {
  it("ends the userinfo at the last '@' of the authority, and the user name at the first ':'", () => {
    assert.equal(userinfoOf('http://u:p@ss@host:1/x@y?q=a@b#c@d'), 'u:p@ss');
    assert.deepEqual(urlPassword('http://u:p@ss:w@host'), { raw: 'p@ss:w', decoded: 'p@ss:w' });
    assert.equal(userinfoOf('http://host:1/path@x'), null);
    assert.equal(userinfoOf('host:1@x'), null, 'no scheme://, no authority');
    assert.equal(urlPassword('http://user@host'), null, 'no password');
  });

  it('decodes percent-escapes as UTF-8 bytes and keeps both forms', () => {
    assert.deepEqual(urlPassword('http://u:%E2%82%AC-%40-%41@h'), { raw: '%E2%82%AC-%40-%41', decoded: '€-@-A' });
    assert.deepEqual(urlPasswordForms('http://u:p%41ss@h'), ['p%41ss', 'pAss']);
  });

  it('reports what Go rejects instead of throwing: a malformed escape, a character outside the userinfo set', () => {
    for (const url of ['http://u:p%zz@h', 'http://u:p%4@h', 'http://u:p%@h', 'http://u%g0:p@h', 'http://u:p w@h', 'http://u:p"w@h', 'http://u:pé@h']) {
      assert.ok(urlPassword(url) instanceof UserinfoError, url);
    }
    assert.equal(percentDecode('%zz'), null);
    assert.deepEqual(urlPasswordForms('http://u:p%zz-w@h'), ['p%zz-w'], 'still hidden when it does not parse');
  });
});

describe('URLs whose "//" is mistyped (WHATWG finds a password there, Go does not)', () => {
  const MISTYPED = ['http:/u:mistyped-pw@h:1', 'http:///u:mistyped-pw@h:1', 'http:\\\\u:mistyped-pw@h:1', 'http:/\\u:mistyped-pw@h:1', 'http:u:mistyped-pw@h:1', 'ht\ttp://u:mistyped-pw@h:1', '\u0001http://u:mistyped-pw@h:1'];

  it('are refused as not literally scheme://authority, saying where the slashes are wrong', () => {
    for (const url of MISTYPED) {
      const problem = schemeSlashesProblem(url);
      assert.ok(problem !== null, url);
      assert.equal(problem.includes('mistyped-pw'), false, problem);
    }
    assert.match(schemeSlashesProblem('http:/h')!, /a single "\/" after the scheme/);
    assert.match(schemeSlashesProblem('http:///h')!, /three "\/" after the scheme/);
    assert.match(schemeSlashesProblem('http:\\\\h')!, /backslash/);
    for (const url of ['http://u:p@h:1', ' https://h ', 'socks5://h', 'HTTP://H']) assert.equal(schemeSlashesProblem(url), null, url);
  });

  it("still name the password as a secret, in WHATWG's reading as in Go's, and both user names where the two disagree", () => {
    for (const url of MISTYPED) assert.ok(urlSecretForms(url).includes('mistyped-pw'), `${JSON.stringify(url)}: ${urlSecretForms(url).join(' ')}`);
    assert.deepEqual(urlSecretForms('http:/user:p%41ss@h'), ['p%41ss', 'pAss', 'user']);
    assert.deepEqual(urlSecretForms('http://alice:p%41ss@h'), ['p%41ss', 'pAss'], 'where the parsers agree, the user name stays readable');
    assert.deepEqual(urlSecretForms('http://h:1'), []);
  });
});
