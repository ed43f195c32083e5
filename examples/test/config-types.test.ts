import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ts from 'typescript';
import { configMapsOf, EXAMPLES_DIR, loadManifests } from './manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'envbox-config-types-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Type errors of each JS file with `// @ts-check`, with `envbox` resolved to this source tree's public API; one program for all, as it takes seconds. */
function typeErrors(files: string[]): string[][] {
  const program = ts.createProgram(files, {
    allowJs: true, checkJs: true, noEmit: true, strict: true, skipLibCheck: true,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    types: ['node'], paths: { envbox: [join(EXAMPLES_DIR, '..', 'core', 'api', 'index.ts')] },
    allowImportingTsExtensions: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return files.map((file) => diagnostics.filter((d) => d.file?.fileName === file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
}

describe('the site config in the ConfigMap, as an editor with // @ts-check sees it', () => {
  const [configMap] = configMapsOf(loadManifests());
  const text = configMap?.data?.['envbox.config.js'] ?? '';

  const good = join(dir, 'envbox.config.mjs');
  const broken = join(dir, 'broken.config.mjs');
  writeFileSync(good, text);
  writeFileSync(broken, text.replace("withEnv(body, 'CLUSTER_NAME', 'dev-eu-1')", "'not a body'"));
  const [goodErrors, brokenErrors] = typeErrors([good, broken]);

  it('asks for type checking, and has no type errors against envbox\'s API', () => {
    assert.match(text, /^\/\/ @ts-check/);
    assert.deepEqual(goodErrors, []);
  });

  it('the check finds a tap that returns the wrong thing', () => {
    assert.ok(brokenErrors?.some((e) => /not assignable/.test(e)), JSON.stringify(brokenErrors));
  });
});
