import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_ENV, definedInputs } from './envbox-pod.js';
import { EXAMPLES_DIR } from './manifests.js';

const README = join(EXAMPLES_DIR, '..', 'README.md');

function exampleFiles(dir = EXAMPLES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' ? [] : exampleFiles(path);
    return [path];
  });
}

/** The README's Deploy section, up to the next second-level heading. */
export function deploySection(readme: string): string {
  const start = readme.indexOf('\n## Deploy\n');
  assert.ok(start >= 0, 'README has a "## Deploy" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
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

  it('the README Deploy section names only defined variables and existing example files', () => {
    const section = deploySection(readFileSync(README, 'utf8'));
    assert.deepEqual(unknownNames(section, inputs, IMAGE_BUILD_SETTINGS), []);
    const paths = [...new Set(section.match(/examples\/[\w./-]+[\w]/g))];
    assert.ok(paths.length >= 4, 'it points at the examples');
    const missing = paths.filter((path) => !existsSync(join(EXAMPLES_DIR, '..', path)));
    assert.deepEqual(missing, []);
  });

  it('the name check finds a name that is not an input', () => {
    assert.deepEqual(unknownNames('CODER_CPUS=2 CODER_CPU=2 ENVBOX_CONFIG=x', inputs), ['CODER_CPU']);
  });
});
