import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const importsOf = (file: string) => [...readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);

describe('architecture', () => {
  it('no file under core/ imports from plugins/, cli/ or testing/: the arrows point into the core', () => {
    const upward = sources('core').flatMap((file) => importsOf(file)
      .filter((spec) => /(^|\/)(plugins|cli|testing)\//.test(spec))
      .map((spec) => `${file} imports ${spec}`));
    assert.deepEqual(upward, []);
  });

  it('core/log/logger.ts knows no plugin option names', () => {
    const text = readFileSync(join(root, 'core/log/logger.ts'), 'utf8');
    for (const name of ['imagePullSecret', 'identitytoken', "'auth'"]) assert.ok(!text.includes(name), name);
  });

  it('core/hooks.ts and core/docker/client.ts do not import each other', () => {
    assert.ok(!importsOf('core/docker/client.ts').some((s) => s.endsWith('/hooks.js')));
    assert.ok(!importsOf('core/docker/registry-auth.ts').some((s) => s.endsWith('/hooks.js')));
  });
});
