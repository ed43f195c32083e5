import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeHost } from '../../core/engine/host/node-host.js';
import { findGpuLibraries } from '../../plugins/gpu/libraries.js';
import { makeLibTree } from './lib-tree.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-lib-tree-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('makeLibTree', () => {
  for (const size of [10, 2_345]) {
    it(`makes exactly ${size} files and links, and says how many GPU paths the walk must find`, async () => {
      const tree = makeLibTree(join(root, String(size)), size);
      const listed = execFileSync('find', [tree.root, '-not', '-type', 'd'], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(listed.length, size);
      assert.equal(tree.files, size);
      assert.equal((await findGpuLibraries(new NodeHost({}), tree.root)).paths.length, tree.gpuPaths);
    });
  }
});
