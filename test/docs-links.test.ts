import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { anchorsOf, brokenLinks, githubSlug, markdownFiles } from './support/doc-links.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('docs links', () => {
  const files = markdownFiles(root);

  it('covers README.md, SECURITY.md, docs/ and examples/', () => {
    const names = files.map((file) => relative(root, file));
    for (const name of ['README.md', 'SECURITY.md', 'docs/README.md', 'docs/inputs.md', 'examples/plugins/README.md']) assert.ok(names.includes(name), name);
  });

  it('every relative link and #anchor in the markdown files resolves', () => {
    assert.deepEqual(brokenLinks(root, files), []);
  });
});

describe('docs links: the checker', () => {
  it('slugs headings as GitHub does', () => {
    const seen = new Map<string, number>();
    assert.equal(githubSlug('Runtimes: sysbox-runc and runc', seen), 'runtimes-sysbox-runc-and-runc');
    assert.equal(githubSlug('Why did my workspace fail?', seen), 'why-did-my-workspace-fail');
    assert.equal(githubSlug('Differences from coder/envbox', seen), 'differences-from-coderenvbox');
    assert.equal(githubSlug('ENVBOX_ROOTLESS and Ünïcode', seen), 'envbox_rootless-and-ünïcode');
    assert.equal(githubSlug('Tests', seen), 'tests');
    assert.equal(githubSlug('Tests', seen), 'tests-1');
    assert.equal(githubSlug('Tests', seen), 'tests-2');
  });

  it('reads heading text as GitHub renders it, and skips headings in code blocks', () => {
    const anchors = anchorsOf('# `envbox docker`, in order\n## [Deploy](deploy.md) it\n```sh\n# not a heading\n```\n## A\n## A\n');
    assert.deepEqual([...anchors], ['envbox-docker-in-order', 'deploy-it', 'a', 'a-1']);
  });

  it('finds a missing file, a missing anchor, and a link that leaves the repository; not one in code', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'envbox-doc-links-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'a.md'), '# A\n## Why did my workspace fail?\n');
    await writeFile(join(dir, 'README.md'), [
      '[ok](docs/a.md#why-did-my-workspace-fail) [ok](#top) [ok](https://example.com/x.md#nope) [ok](docs/)',
      '[gone](docs/b.md) [bad anchor](docs/a.md#why-did-my-workspace-fail-1) [out](../elsewhere.md)',
      '`[in code](nowhere.md)`',
      '```', '[in a fence](nowhere.md)', '```',
      '[ref]: docs/c.md',
      '# Top',
    ].join('\n'));
    assert.deepEqual(brokenLinks(dir, markdownFiles(dir)), [
      'README.md:2: docs/b.md (no such file)',
      'README.md:2: docs/a.md#why-did-my-workspace-fail-1 (no heading of docs/a.md has this anchor)',
      'README.md:2: ../elsewhere.md (leaves the repository)',
      'README.md:7: docs/c.md (no such file)',
    ]);
  });
});
