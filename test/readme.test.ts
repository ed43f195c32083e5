import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { INPUTS_PAGE, withInputsTable } from './support/inputs-table.js';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const inputsPage = readFileSync(new URL(`../${INPUTS_PAGE}`, import.meta.url), 'utf8');

  it('lists every input exactly as the definitions say (run `npm run docs` after changing one)', () => {
    assert.equal(inputsPage, withInputsTable(inputsPage));
  });

  it('opens with the two commands, and .ci/run calls the test command', () => {
    const firstBlock = /```(?:sh|bash)?\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(firstBlock, /npm run demo/);
    assert.match(firstBlock, /npm test/);
    assert.match(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8'), /^npm test$/m);
  });

  it("shows the site config of examples/kubernetes/configmap.yaml as it is there (the examples' tests check that one)", () => {
    const shown = /```js\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const configMap = readFileSync(new URL('../examples/kubernetes/configmap.yaml', import.meta.url), 'utf8');
    const config = configMap.slice(configMap.indexOf('    // @ts-check')).split('\n').map((line) => line.slice(4)).join('\n');
    assert.ok(shown.length > 0, 'the README shows a site config');
    assert.equal(shown.trim(), config.trim());
  });
});
