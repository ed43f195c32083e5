import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from './actions.js';
import { InputError, PluginError } from './errors.js';
import { createHooks, pluginHooks, STAGE, type PhaseContext, type PullSpec, type StartedContext } from './hooks.js';
import { baseBody } from '../test/support/harness.js';

/** The parts of a context that the facade looks at; the taps under test read nothing else. */
function phaseContext(): PhaseContext & { actions: Action[] } {
  return { actions: [], act() { throw new Error('the facade binds act per plugin'); } } as unknown as PhaseContext & { actions: Action[] };
}

function pluginErrorOf(error: unknown): PluginError {
  assert.ok(error instanceof PluginError, `expected a PluginError, got ${String(error)}`);
  return error;
}

describe('pluginHooks facade', () => {
  it('wraps a tap that throws as a PluginError naming plugin and hook, keeping the cause', async () => {
    const hooks = createHooks();
    const boom = new Error('boom');
    pluginHooks(hooks, 'site-thrower').containerSpec.tap(() => { throw boom; });
    await assert.rejects(hooks.containerSpec.promise(baseBody(), phaseContext() as never), (error: unknown) => {
      const wrapped = pluginErrorOf(error);
      assert.equal(wrapped.code, 'PLUGIN_ERROR');
      assert.equal(wrapped.plugin, 'site-thrower');
      assert.equal(wrapped.hook, 'containerSpec');
      assert.equal(wrapped.cause, boom);
      assert.equal(wrapped.message, 'plugin "site-thrower" failed in hook "containerSpec": boom');
      return true;
    });
  });

  it('wraps an async tap that rejects, and turns a non-Error rejection into an Error cause', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-rejecter').postStart.tap(async () => Promise.reject('plain string'));
    await assert.rejects(hooks.postStart.promise({} as StartedContext), (error: unknown) => {
      const wrapped = pluginErrorOf(error);
      assert.equal(wrapped.plugin, 'site-rejecter');
      assert.equal(wrapped.hook, 'postStart');
      assert.ok(wrapped.cause instanceof Error);
      assert.equal((wrapped.cause as Error).message, 'plain string');
      return true;
    });
  });

  it('lets an InputError pass through unwrapped, so bad input still exits 2', async () => {
    const hooks = createHooks();
    const bad = new InputError([{ variable: 'CODER_CPUS', problem: 'is not a number', example: 'CODER_CPUS=2' }]);
    pluginHooks(hooks, 'resources').configure.tap(() => { throw bad; });
    await assert.rejects(hooks.configure.promise({} as never, {} as never), (error: unknown) => {
      assert.equal(error, bad);
      return true;
    });
  });

  it('does not wrap a PluginError twice', async () => {
    const hooks = createHooks();
    const inner = new PluginError('first', 'prePull', new Error('inner'));
    pluginHooks(hooks, 'second').prePull.tap(() => { throw inner; });
    await assert.rejects(hooks.prePull.promise({} as never, phaseContext()), (error: unknown) => error === inner);
  });

  for (const missing of [undefined, null]) {
    it(`rejects a waterfall tap that returns ${String(missing)}, naming plugin and hook`, async () => {
      const hooks = createHooks();
      pluginHooks(hooks, 'forgetful').preDaemon.tap((() => missing) as never);
      await assert.rejects(hooks.preDaemon.promise({ argv: ['dockerd'], env: {} }, phaseContext()), (error: unknown) => {
        const wrapped = pluginErrorOf(error);
        assert.equal(wrapped.plugin, 'forgetful');
        assert.equal(wrapped.hook, 'preDaemon');
        assert.match(wrapped.message, /a preDaemon tap must return the \(edited\) value it was given/);
        return true;
      });
    });
  }

  it('allows a series hook tap to return nothing', async () => {
    const hooks = createHooks();
    let ran = false;
    pluginHooks(hooks, 'quiet').shutdown.tap(() => { ran = true; });
    await hooks.shutdown.promise({} as never);
    assert.equal(ran, true);
  });

  it('rejects a tap call without a function as a PluginError at registration', () => {
    const hooks = createHooks();
    assert.throws(() => pluginHooks(hooks, 'no-fn').postStart.tap({ stage: STAGE.POLICY } as never), (error: unknown) => {
      const wrapped = pluginErrorOf(error);
      assert.equal(wrapped.plugin, 'no-fn');
      assert.equal(wrapped.hook, 'postStart');
      return true;
    });
  });

  it('orders taps by stage (BASE, FEATURE, POLICY) and by registration within a stage', async () => {
    const hooks = createHooks();
    const order: string[] = [];
    const tapAs = (plugin: string, stage?: number) => {
      const facade = pluginHooks(hooks, plugin).prePull;
      const fn = (pull: PullSpec) => { order.push(plugin); return pull; };
      if (stage === undefined) facade.tap(fn);
      else facade.tap({ stage }, fn);
    };
    tapAs('policy-1', STAGE.POLICY);
    tapAs('feature-default-1');
    tapAs('base-1', STAGE.BASE);
    tapAs('feature-explicit-2', STAGE.FEATURE);
    tapAs('policy-2', STAGE.POLICY);
    tapAs('base-2', STAGE.BASE);
    await hooks.prePull.promise({} as never, phaseContext());
    assert.deepEqual(order, ['base-1', 'base-2', 'feature-default-1', 'feature-explicit-2', 'policy-1', 'policy-2']);
  });

  it('threads the waterfall value through the taps in stage order', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'policy').preDaemon.tap({ stage: STAGE.POLICY }, (d) => ({ ...d, argv: [...d.argv, 'policy'] }));
    pluginHooks(hooks, 'feature').preDaemon.tap(async (d) => ({ ...d, argv: [...d.argv, 'feature'] }));
    pluginHooks(hooks, 'base').preDaemon.tap({ stage: STAGE.BASE }, (d) => ({ ...d, argv: [...d.argv, 'base'] }));
    const result = await hooks.preDaemon.promise({ argv: ['dockerd'], env: {} }, phaseContext());
    assert.deepEqual(result.argv, ['dockerd', 'base', 'feature', 'policy']);
  });

  it('attributes ctx.act to the tapping plugin and hook, in declaration order', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'alpha').containerSpec.tap((body, ctx) => {
      ctx.act({ kind: 'mkdir', path: '/a', mode: '0755' });
      return body;
    });
    pluginHooks(hooks, 'beta').containerSpec.tap((body, ctx) => {
      ctx.act({ kind: 'chmod', path: '/b', mode: '0600', bestEffort: true });
      return body;
    });
    pluginHooks(hooks, 'gamma').preDaemon.tap((daemon, ctx) => {
      ctx.act({ kind: 'unmount', path: '/c' });
      return daemon;
    });
    const ctx = phaseContext();
    await hooks.containerSpec.promise(baseBody(), ctx as never);
    await hooks.preDaemon.promise({ argv: ['dockerd'], env: {} }, ctx);
    assert.deepEqual(ctx.actions, [
      { kind: 'mkdir', path: '/a', mode: '0755', plugin: 'alpha', hook: 'containerSpec' },
      { kind: 'chmod', path: '/b', mode: '0600', bestEffort: true, plugin: 'beta', hook: 'containerSpec' },
      { kind: 'unmount', path: '/c', plugin: 'gamma', hook: 'preDaemon' },
    ]);
  });

  it('hands a tap a copy of the context: the caller\'s object is not given an act of one plugin', async () => {
    const hooks = createHooks();
    let seen: unknown;
    pluginHooks(hooks, 'alpha').prePull.tap((pull, ctx) => { seen = ctx; return pull; });
    const ctx = phaseContext();
    const originalAct = ctx.act;
    await hooks.prePull.promise({} as never, ctx);
    assert.notEqual(seen, ctx);
    assert.equal(ctx.act, originalAct);
  });

  it('a plugin cannot declare an action on a tap attributed to someone else', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'honest').prePull.tap((pull, ctx) => {
      ctx.act({ kind: 'writeFile', path: '/x', content: 'y', plugin: 'impostor', hook: 'shutdown' } as never);
      return pull;
    });
    const ctx = phaseContext();
    await hooks.prePull.promise({} as never, ctx);
    assert.equal(ctx.actions[0]?.plugin, 'honest');
    assert.equal(ctx.actions[0]?.hook, 'prePull');
  });
});

describe('createHooks', () => {
  it('is frozen: no hook can be added, replaced or removed', () => {
    const hooks = createHooks();
    assert.ok(Object.isFrozen(hooks));
    assert.throws(() => { (hooks as Record<string, unknown>).extra = 1; }, TypeError);
    assert.throws(() => { (hooks as Record<string, unknown>).configure = null; }, TypeError);
    assert.throws(() => { delete (hooks as Record<string, unknown>).shutdown; }, TypeError);
  });

  it('declares the six lifecycle hooks, and each call gives fresh hooks', () => {
    const a = createHooks();
    assert.deepEqual(Object.keys(a), ['configure', 'preDaemon', 'prePull', 'containerSpec', 'preStart', 'postStart', 'shutdown']);
    assert.notEqual(a.containerSpec, createHooks().containerSpec);
  });

  it('gives plugins a frozen facade with the tap side only', () => {
    const facade = pluginHooks(createHooks(), 'p');
    assert.ok(Object.isFrozen(facade));
    assert.deepEqual(Object.keys(facade.containerSpec), ['tap']);
    assert.equal((facade.containerSpec as unknown as { promise?: unknown }).promise, undefined);
  });
});
