import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareApp } from '../core/engine/app.js';
import { planContainer } from '../core/engine/lifecycle/run-hooks.js';
import { MemoryHost } from '../testing/memory-host.js';
import { builtinPlugins } from '../plugins/index.js';
import { FACTS, FULL_ENV, plainContainerSpec, plainInputs } from './spec-pipeline.js';

async function both(env: Record<string, string>, facts = FACTS) {
  const cwd = await mkdtemp(join(tmpdir(), 'envbox-bench-test-'));
  try {
    const app = await prepareApp({ mode: 'plan', argv: [], env, cwd, host: new MemoryHost({ ...env }), stderr: { write: () => true }, builtins: builtinPlugins() });
    return { planned: await planContainer(app, facts), plain: plainContainerSpec(plainInputs(app), facts) };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

// The baseline is only a baseline while it does the plugins' work: these fail when a plugin changes its edits.
describe('spec-pipeline baseline', () => {
  test('with every feature on, the plain function builds the same body and actions as the hooks', async () => {
    const { planned, plain } = await both(FULL_ENV);
    assert.deepEqual(plain.body, planned.body);
    assert.deepEqual(plain.actions, planned.actions);
    assert.equal(planned.actions.filter((a) => a.kind === 'mknod').length, 2, 'fuse and tun are on');
  });

  test('with sysbox-runc, no init and only the required inputs, they still agree', async () => {
    const env = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder' };
    const { planned, plain } = await both(env, { ...FACTS, hasInit: false });
    assert.deepEqual(plain.body, planned.body);
    assert.deepEqual(plain.actions, planned.actions);
    const sysbox = await both({ ...FULL_ENV, ENVBOX_RUNTIME: 'sysbox-runc' });
    assert.deepEqual(sysbox.plain.body, sysbox.planned.body);
  });
});
