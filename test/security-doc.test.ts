import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const root = new URL('../', import.meta.url);
const security = readFileSync(new URL('SECURITY.md', root), 'utf8');

/** Every `file.test.ts` the page names, and the test names quoted after it (› "name", a trailing … for a prefix). */
function citations(): Array<{ file: string; names: string[] }> {
  const out: Array<{ file: string; names: string[] }> = [];
  for (const cell of security.split('\n').flatMap((line) => line.split(/;\s*|\|/))) {
    const file = /`((?:core|plugins|cli|testing|test|integration|examples|bench)\/[\w./-]+\.test\.ts)`/.exec(cell)?.[1];
    if (!file) continue;
    const names = [...cell.matchAll(/"([^"]+)"/g)].map((m) => m[1]!.replace(/…$/, '').trim());
    out.push({ file, names });
  }
  return out;
}

describe('SECURITY.md', () => {
  const cited = citations();

  it('cites tests for its promises', () => {
    assert.ok(cited.length >= 30, `only ${cited.length} citations found`);
  });

  it('names only test files that exist, and test names that those files hold', () => {
    const missing: string[] = [];
    for (const { file, names } of cited) {
      const path = new URL(file, root);
      if (!existsSync(path)) { missing.push(`${file} (no such file)`); continue; }
      const text = readFileSync(path, 'utf8');
      // A name in the page may drop the part a test builds at run time; the start must be in the file as written.
      for (const name of names) if (!text.includes(name.split('…')[0]!.replace(/\\\\/g, '\\'))) missing.push(`${file} › "${name}"`);
    }
    assert.deepEqual(missing, []);
  });
});
