import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mayHaveConfig } from './config-candidates.js';
import { CONFIG_FILE_NAMES } from './load-config.js';

describe('mayHaveConfig (whether cosmiconfig is worth loading)', () => {
  let root: string;
  before(async () => { root = await mkdtemp(join(tmpdir(), 'envbox-candidates-')); });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  async function fresh(name: string): Promise<string> {
    const dir = join(root, name, 'a', 'b');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  it('is false when no directory from cwd up to / holds one of the names', async () => {
    const dir = await fresh('none');
    const name = `envbox-candidates-${process.pid}.json`;
    const names = [name];
    assert.equal(mayHaveConfig(dir, names), false);
    await writeFile(join(root, name), '{}');
    assert.equal(mayHaveConfig(dir, names), true);
  });

  for (const name of CONFIG_FILE_NAMES) {
    it(`is true for ${name} in a directory above cwd`, async () => {
      const dir = await fresh(`name-${name}`);
      await writeFile(join(root, `name-${name}`, name), '{}');
      assert.equal(mayHaveConfig(dir, CONFIG_FILE_NAMES), true);
    });
  }

  for (const meta of ['package.yaml', '.config']) {
    it(`is true for cosmiconfig's meta place ${meta} in cwd`, async () => {
      const dir = await fresh(`meta-${meta}`);
      if (meta === '.config') await mkdir(join(dir, meta));
      else await writeFile(join(dir, meta), 'x: 1\n');
      assert.equal(mayHaveConfig(dir, []), true);
    });
  }
});
