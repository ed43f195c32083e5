import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectInputs } from '../../engine/app.js';
import { InputError } from '../errors.js';
import { builtinPlugins } from '../../../plugins/index.js';
import type { InputDef } from './define.js';
import { GO_FALSE, GO_TRUE, booleanInput } from './input-kinds.js';
import { resolveInputs } from './resolve.js';

/**
 * Every boolean input, found from the input definitions (so a new one is covered without editing
 * this file), takes each spelling Go's strconv.ParseBool takes, as coder/envbox read them.
 */
const ALL_INPUTS: InputDef[] = collectInputs(builtinPlugins());
const BOOLEANS = ALL_INPUTS.filter((def) => def.schema === booleanInput);
const REQUIRED = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' };

function resolveEnv(env: Record<string, string>) {
  return resolveInputs(ALL_INPUTS, { flags: {}, env: { ...REQUIRED, ...env } });
}

describe('boolean inputs read as Go reads them', () => {
  it('finds the boolean inputs of the core and the plugins, and every input flagged boolean is one', () => {
    assert.ok(BOOLEANS.length >= 8, BOOLEANS.map((d) => d.env).join(' '));
    for (const def of ALL_INPUTS.filter((d) => d.boolean)) assert.equal(def.schema, booleanInput, `${def.env} is flagged boolean`);
    // An input whose example is a boolean must parse as one: catches a boolean parsed some other way.
    for (const def of ALL_INPUTS.filter((d) => /^(true|false)$/.test(d.example))) assert.equal(def.schema, booleanInput, `${def.env} has a boolean example`);
  });

  for (const def of BOOLEANS) {
    it(`${def.env}: 1 t T TRUE true True are true, 0 f F FALSE false False are false, from env and flag`, () => {
      for (const [spellings, expected] of [[GO_TRUE, true], [GO_FALSE, false]] as const) {
        for (const text of spellings) {
          assert.equal(resolveEnv({ [def.env]: text }).get(def), expected, `${def.env}=${text}`);
          const viaFlag = resolveInputs(ALL_INPUTS, { flags: { [def.flag]: text }, env: REQUIRED });
          assert.equal(viaFlag.get(def), expected, `--${def.flag}=${text}`);
        }
      }
    });

    it(`${def.env}: anything else is exit 2, naming the variable and an example`, () => {
      for (const text of ['maybe', '2', 'y', 'tru', 'falsey']) {
        assert.throws(() => resolveEnv({ [def.env]: text }), (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.equal(error.problems.length, 1);
          assert.equal(error.problems[0]!.variable, def.env);
          assert.match(error.message, new RegExp(`^${def.env}: "${text}" is not a boolean .*Example: ${def.env}=(true|false)$`));
          return true;
        });
      }
    });
  }
});
