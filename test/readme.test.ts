import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readmeWithTable } from './support/inputs-table.js';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('lists every input exactly as the definitions say (run `npm run docs` after changing one)', () => {
    assert.equal(readme, readmeWithTable(readme));
  });

  it('opens with the two commands, and .ci/run calls the test command', () => {
    const firstBlock = /```(?:sh|bash)?\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(firstBlock, /npm run demo/);
    assert.match(firstBlock, /npm test/);
    assert.match(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8'), /^npm test$/m);
  });
});
