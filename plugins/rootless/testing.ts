/**
 * envbox/testing with the plugin "rootless" registered too: the tests of plugins that adapt to a
 * rootless daemon need the plugin that runs it and publishes `ctx.daemon`. It goes first here, which
 * changes nothing its taps see: its identity is published in its own hook, and its refusals run at CHECK.
 */
import * as testing from 'envbox/testing';
import type { EnvboxPlugin } from 'envbox';
import { rootlessPlugin } from './index.js';

export { actionsOf, describeActions, MemoryHost, rootlessHost, ubuntuFacts } from 'envbox/testing';

const withRootless = (plugins: readonly EnvboxPlugin[]): EnvboxPlugin[] => [rootlessPlugin(), ...plugins];

export const runConfigure: typeof testing.runConfigure = (plugins, run) => testing.runConfigure(withRootless(plugins), run);
export const runPreDaemon: typeof testing.runPreDaemon = (plugins, run) => testing.runPreDaemon(withRootless(plugins), run);
export const runPrePull: typeof testing.runPrePull = (plugins, run) => testing.runPrePull(withRootless(plugins), run);
export const runContainerSpec: typeof testing.runContainerSpec = (plugins, run) => testing.runContainerSpec(withRootless(plugins), run);
export const runPlan: typeof testing.runPlan = (plugins, run) => testing.runPlan(withRootless(plugins), run);
