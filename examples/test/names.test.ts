import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_ENV, definedInputs } from './envbox-pod.js';
import { EXAMPLES_DIR } from './manifests.js';

const README = join(EXAMPLES_DIR, '..', 'README.md');
const DEPLOY_PAGE = join(EXAMPLES_DIR, '..', 'docs', 'deploy.md');

function exampleFiles(dir = EXAMPLES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : exampleFiles(path);
    return [path];
  });
}

/** A page's section under `heading`, up to the next heading of the same level. */
function sectionOf(page: string, heading: string): string {
  const level = /^#+ /.exec(heading)?.[0] ?? '## ';
  const start = page.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `the page has a "${heading}" section`);
  const end = page.indexOf(`\n${level}`, start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** Settings of `npm run image` (deploy/build-image.sh), which the Deploy section documents beside the inputs. */
const IMAGE_BUILD_SETTINGS = new Set(readFileSync(join(EXAMPLES_DIR, '..', 'deploy', 'build-image.sh'), 'utf8').match(/\bENVBOX_IMAGE_[A-Z0-9_]+\b/g));

const unknownNames = (text: string, inputs: Map<string, unknown>, allowed: ReadonlySet<string> = new Set()) =>
  [...new Set(text.match(/\b(CODER|ENVBOX)_[A-Z0-9_]+\b/g))].filter((name) => !inputs.has(name) && name !== CONFIG_ENV && !allowed.has(name));

describe('the examples cannot drift from the code', () => {
  const inputs = definedInputs();

  for (const file of exampleFiles()) {
    it(`${relative(EXAMPLES_DIR, file)} names only CODER_*/ENVBOX_* variables that envbox defines, comments included`, () => {
      assert.deepEqual(unknownNames(readFileSync(file, 'utf8'), inputs), []);
    });
  }

  it('the Deploy page (docs/deploy.md) names only defined variables and existing example files', () => {
    const section = readFileSync(DEPLOY_PAGE, 'utf8');
    assert.deepEqual(unknownNames(section, inputs, IMAGE_BUILD_SETTINGS), []);
    const paths = [...new Set(section.match(/examples\/[\w./-]+[\w]/g))];
    assert.ok(paths.length >= 4, 'it points at the examples');
    const missing = paths.filter((path) => !existsSync(join(EXAMPLES_DIR, '..', path)));
    assert.deepEqual(missing, []);
  });

  it("the README's deploy in five lines names only defined variables and existing example files, in five lines", () => {
    const section = sectionOf(readFileSync(README, 'utf8'), '## Deploy in five lines');
    assert.deepEqual(unknownNames(section, inputs, IMAGE_BUILD_SETTINGS), []);
    const paths = [...new Set(section.match(/examples\/[\w./-]+[\w]/g))];
    assert.ok(paths.length >= 3, 'it points at the examples');
    assert.deepEqual(paths.filter((path) => !existsSync(join(EXAMPLES_DIR, '..', path))), []);
    const commands = /```sh\n([\s\S]*?)```/.exec(section)?.[1]?.trim().split('\n') ?? [];
    assert.equal(commands.length, 5, commands.join('\n'));
  });

  it('the name check finds a name that is not an input', () => {
    assert.deepEqual(unknownNames('CODER_CPUS=2 CODER_CPU=2 ENVBOX_CONFIG=x', inputs), ['CODER_CPU']);
  });
});
