import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from './actions.js';
import { InputError, PluginError } from './errors.js';
import {
  collectingActions, collectingErrors, collectingProblems, createHooks, pluginHooks, STAGE,
  type ConfigureContext, type PhaseContext, type PullSpec, type StartedContext,
} from './hooks.js';
import { parseImageRef, type ImageRef } from './image-ref.js';
import { OptionValues } from './inputs/options.js';
import type { ContainerCreateBody } from './container-spec/types.js';

function baseBody(): ContainerCreateBody {
  return { Image: 'ubuntu', User: 'root', Env: [], HostConfig: { Runtime: 'sysbox-runc', Binds: [] } };
}

const pullSpec = (): PullSpec => ({ image: parseImageRef('registry.test/app:1') as ImageRef, auth: null });
const emptyOptions = () => new OptionValues(new Map(), new Map());

/** The parts of a context that the facade looks at, collecting actions as plan and docker do. */
function phaseContext(): PhaseContext & { actions: Action[] } {
  const { context, actions } = collectingActions({} as PhaseContext);
  // Not enumerable, so that it is not copied into what a tap sees: only the test reads it.
  return Object.defineProperty(context, 'actions', { value: actions, enumerable: false }) as PhaseContext & { actions: Action[] };
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
    await assert.rejects(hooks.configure.promise(emptyOptions(), {} as never), (error: unknown) => {
      assert.equal(error, bad);
      return true;
    });
  });

  it('does not wrap a PluginError twice', async () => {
    const hooks = createHooks();
    const inner = new PluginError('first', 'prePull', new Error('inner'));
    pluginHooks(hooks, 'second').prePull.tap(() => { throw inner; });
    await assert.rejects(hooks.prePull.promise(pullSpec(), phaseContext()), (error: unknown) => error === inner);
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

  it('rejects a tap call without a function at registration, naming plugin and hook (exit 2)', () => {
    const hooks = createHooks();
    assert.throws(() => pluginHooks(hooks, 'no-fn').postStart.tap({ stage: STAGE.POLICY } as never), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^plugin "no-fn": hooks\.postStart\.tap needs a function/);
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
    await hooks.prePull.promise(pullSpec(), phaseContext());
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
    await hooks.prePull.promise(pullSpec(), ctx);
    assert.notEqual(seen, ctx);
    assert.equal(ctx.act, originalAct);
    assert.equal((seen as { actions?: unknown }).actions, undefined, 'the shared list of actions is not handed to plugins');
    assert.deepEqual(Object.getOwnPropertySymbols(seen), [], 'nor any other internals');
  });

  it('a plugin cannot declare an action in the name of another plugin', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'honest').prePull.tap((pull, ctx) => {
      ctx.act({ kind: 'writeFile', path: '/x', content: 'y', plugin: 'impostor', hook: 'shutdown' } as never);
      return pull;
    });
    const ctx = phaseContext();
    await assert.rejects(hooks.prePull.promise(pullSpec(), ctx), /plugin "honest" failed in hook "prePull": declared an invalid action \(action: Unrecognized keys: "plugin", "hook"\)/);
    assert.deepEqual(ctx.actions, []);
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

  it('declares the lifecycle hooks, and each call gives fresh hooks', () => {
    const a = createHooks();
    assert.deepEqual(Object.keys(a), ['configure', 'daemonIdentity', 'preflight', 'preDaemon', 'daemonLaunch', 'prePull', 'containerSpec', 'preStart', 'postStart', 'buildLog', 'failed', 'shutdown', 'exit']);
    assert.notEqual(a.containerSpec, createHooks().containerSpec);
  });

  it('gives plugins a frozen facade with the tap side only', () => {
    const facade = pluginHooks(createHooks(), 'p');
    assert.ok(Object.isFrozen(facade));
    assert.deepEqual(Object.keys(facade.containerSpec), ['tap', 'tapPromise']);
    assert.equal((facade.containerSpec as unknown as { promise?: unknown }).promise, undefined);
  });
});

/** The plugin contract, enforced where a tap returns: a broken value is blamed on the tap that broke it. */
describe('plugin contract at the hook boundary', () => {
  const specContext = () => phaseContext() as never;

  it('a POLICY containerSpec tap that returns 42 fails, naming that plugin and hook (was accepted: "create": 42)', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'mounts').containerSpec.tap((body) => body);
    pluginHooks(hooks, 'site-policy').containerSpec.tap({ stage: STAGE.POLICY }, (() => 42) as never);
    await assert.rejects(hooks.containerSpec.promise(baseBody(), specContext()), (error: unknown) => {
      const wrapped = pluginErrorOf(error);
      assert.equal(wrapped.plugin, 'site-policy');
      assert.equal(wrapped.hook, 'containerSpec');
      assert.match(wrapped.message, /returned number 42, not a ContainerCreate body/);
      return true;
    });
  });

  it('a BASE tap that returns a string is blamed on itself, not on the plugin that runs next', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'mounts').containerSpec.tap((body) => ({ ...body, HostConfig: { ...body.HostConfig, Binds: [...(body.HostConfig.Binds ?? []), '/a:/a'] } }));
    pluginHooks(hooks, 'site-base').containerSpec.tap({ stage: STAGE.BASE }, (() => 'oops') as never);
    await assert.rejects(hooks.containerSpec.promise(baseBody(), specContext()), (error: unknown) => pluginErrorOf(error).plugin === 'site-base');
  });

  it('a containerSpec tap that drops HostConfig or sets Env to a string is named', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-env').containerSpec.tap((body) => ({ ...body, Env: 'A=1' }) as never);
    await assert.rejects(hooks.containerSpec.promise(baseBody(), specContext()), /plugin "site-env" failed in hook "containerSpec": returned an object, not a ContainerCreate body .*\(Env: /);
  });

  it('a configure tap that returns {} is named (was: "options.secretValues is not a function", naming nobody)', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-config').configure.tap((() => ({})) as never);
    await assert.rejects(hooks.configure.promise(emptyOptions(), {} as never), /plugin "site-config" failed in hook "configure": returned an object, not the options it was given/);
  });

  it('preDaemon and prePull results are checked too', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-daemon').preDaemon.tap((d) => ({ ...d, argv: 'dockerd --debug' }) as never);
    pluginHooks(hooks, 'site-pull').prePull.tap((p) => ({ ...p, image: 'ubuntu' }) as never);
    await assert.rejects(hooks.preDaemon.promise({ argv: ['dockerd'], env: {} }, phaseContext()), /plugin "site-daemon" failed in hook "preDaemon": returned an object, not a daemon spec/);
    await assert.rejects(hooks.prePull.promise(pullSpec(), phaseContext()), /plugin "site-pull" failed in hook "prePull"/);
  });

  it('hands each waterfall tap a frozen value: an in-place edit throws, naming the plugin', async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-mutator').containerSpec.tap((body) => {
      (body.HostConfig as Record<string, unknown>).Privileged = true;
      return body;
    });
    await assert.rejects(hooks.containerSpec.promise(baseBody(), specContext()), (error: unknown) => {
      const wrapped = pluginErrorOf(error);
      assert.equal(wrapped.plugin, 'site-mutator');
      assert.match(wrapped.message, /read only|not extensible|Cannot add property/);
      return true;
    });
    const daemonHooks = createHooks();
    pluginHooks(daemonHooks, 'site-push').preDaemon.tap((d) => { (d.argv as string[]).push('--debug'); return d; });
    await assert.rejects(daemonHooks.preDaemon.promise({ argv: ['dockerd'], env: {} }, phaseContext()), /plugin "site-push" failed in hook "preDaemon"/);
  });

  it('an unknown hook name is named, with the hooks that exist and the nearest one (was: "Cannot read properties of undefined")', () => {
    const facade = pluginHooks(createHooks(), 'site-typo');
    assert.throws(() => (facade as unknown as Record<string, { tap(): void }>).poststart!.tap(), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^plugin "site-typo": api\.hooks\.poststart is not a hook \(did you mean "postStart"\?\); the hooks are configure, daemonIdentity, preflight, preDaemon, daemonLaunch, prePull, containerSpec, preStart, postStart, buildLog, failed, shutdown, exit\./);
      return true;
    });
  });

  for (const stage of [undefined, Number.NaN, Infinity, '100']) {
    it(`refuses the stage ${String(stage)} (a misspelt stages.POLCY is undefined and used to run at FEATURE)`, () => {
      assert.throws(() => pluginHooks(createHooks(), 'site-stage').containerSpec.tap({ stage } as never, (b) => b), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, /plugin "site-stage": hooks\.containerSpec\.tap has the stage .* not a finite number/);
        return true;
      });
    });
  }

  it("accepts tapable's own forms: tap(name, fn), tap({ name, stage }, fn) and tapPromise, ordered by stage", async () => {
    const hooks = createHooks();
    const site = pluginHooks(hooks, 'site-forms');
    const order: string[] = [];
    site.containerSpec.tapPromise({ name: 'Late', stage: STAGE.POLICY }, async (body) => { order.push('policy'); return body; });
    site.containerSpec.tap('MyPlugin', (body) => { order.push('named'); return body; });
    site.containerSpec.tap({ name: 'Early', stage: STAGE.BASE }, (body) => { order.push('base'); return body; });
    await hooks.containerSpec.promise(baseBody(), phaseContext() as never);
    assert.deepEqual(order, ['base', 'named', 'policy']);
  });

  it("a named tap's error still cites the plugin, not the tap's label", async () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-named').containerSpec.tap('SomeLabel', () => { throw new Error('boom'); });
    await assert.rejects(hooks.containerSpec.promise(baseBody(), phaseContext() as never), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.plugin, 'site-named');
      assert.match(error.message, /^plugin "site-named" failed in hook "containerSpec": boom/);
      return true;
    });
  });

  it('refuses tapPromise on a synchronous hook, naming tap instead', () => {
    assert.throws(() => pluginHooks(createHooks(), 'site-sync').buildLog.tapPromise('X', () => undefined), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /plugin "site-sync": hooks\.buildLog is a synchronous hook: tapPromise does not apply/);
      return true;
    });
  });

  it('refuses tap options other than stage', () => {
    assert.throws(() => pluginHooks(createHooks(), 'site-before').prePull.tap({ before: 'pullsecret' } as never, (p) => p), /take only "name" and "stage", not "before"/);
  });

  for (const [label, action, problem] of [
    ['no path', { kind: 'mkdirp' }, /kind: /],
    ['a relative path', { kind: 'mkdir', path: 'var/x', mode: '0755' }, /path: must be an absolute path/],
    ['a numeric mode', { kind: 'chmod', path: '/x', mode: 0o755 }, /mode: /],
    ['a negative uid', { kind: 'chown', path: '/x', uid: -1, gid: 0 }, /uid: /],
  ] as const) {
    it(`refuses an action with ${label} when it is declared, naming the plugin`, async () => {
      const hooks = createHooks();
      pluginHooks(hooks, 'site-actor').containerSpec.tap((body, ctx) => { ctx.act(action as never); return body; });
      const ctx = phaseContext();
      await assert.rejects(hooks.containerSpec.promise(baseBody(), ctx as never), (error: unknown) => {
        assert.match(pluginErrorOf(error).message, /^plugin "site-actor" failed in hook "containerSpec": declared an invalid action/);
        assert.match((error as Error).message, problem);
        return true;
      });
      assert.deepEqual(ctx.actions, []);
    });
  }
});

describe('configure collects every problem', () => {
  it('keeps running the configure taps after one throws an InputError, and returns what they all found', async () => {
    const hooks = createHooks();
    const problem = (variable: string) => new InputError([{ variable, problem: 'is wrong', example: `${variable}=x` }]);
    pluginHooks(hooks, 'mounts').configure.tap(() => { throw problem('CODER_MOUNTS'); });
    pluginHooks(hooks, 'gpu').configure.tap(() => { throw problem('CODER_USR_LIB_DIR'); });
    let later = false;
    pluginHooks(hooks, 'site').configure.tap((o) => { later = true; return o; });
    const { context, collected } = collectingProblems({} as ConfigureContext);
    await hooks.configure.promise(emptyOptions(), context);
    assert.deepEqual(collected.problems.map((p) => p.variable), ['CODER_MOUNTS', 'CODER_USR_LIB_DIR']);
    assert.ok(later);
  });
});

describe('buildLog hook', () => {
  it('is sync: a tap that returns a promise is refused, naming plugin and hook', () => {
    const hooks = createHooks();
    pluginHooks(hooks, 'site-async').buildLog.tap((async () => undefined) as never);
    assert.throws(() => hooks.buildLog.call({ output: 'x', time: '', type: 'info' }, {} as never), /plugin "site-async" failed in hook "buildLog": a buildLog tap must be synchronous/);
  });

  it("one tap's throw does not keep the line from the taps after it", () => {
    const hooks = createHooks();
    const seen: string[] = [];
    pluginHooks(hooks, 'first').buildLog.tap(() => { throw new Error('down'); });
    pluginHooks(hooks, 'second').buildLog.tap((entry) => { seen.push(entry.output); });
    const { context, errors } = collectingErrors({});
    hooks.buildLog.call({ output: 'line', time: '', type: 'info' }, context as never);
    assert.deepEqual(seen, ['line']);
    assert.equal(errors[0]?.message, 'plugin "first" failed in hook "buildLog": down');
  });
});
