import { InputError, coreInputs, type DaemonAwareContext, type EnvboxPlugin, type RootlessIdentity } from 'envbox';
import { assertRootlessRequirements } from './checks.js';
import { asRootlessUser, rootlessDirActions, rootlessEnv, rootlessInputProblems, rootlessOptions, rootlesskitArgv } from './daemon.js';
import { readRootlessIdentity } from './identity.js';
import { rootlessDir, rootlessUser } from './inputs.js';

export { rootlessDockerPlugin } from './docker-socket.js';

const { dockerExecRoot, ethlink, rootless } = coreInputs;

/** This plugin's daemon user, when ENVBOX_ROOTLESS asks for it (the core refuses a run where no identity was published). */
function rootlessUserOf(ctx: DaemonAwareContext): RootlessIdentity | null {
  return ctx.options.get(rootless) ? ctx.daemon.rootless : null;
}

/**
 * ENVBOX_ROOTLESS: the managed dockerd runs rootless, as ENVBOX_ROOTLESS_USER under rootlesskit with
 * slirp4netns, so the pod needs no privileged flag and no added capability. Each step is a tap: the
 * rootless defaults and refusals (configure), the user and its id ranges (daemonIdentity, which every
 * plugin then reads as `ctx.daemon`), the outer container's requirements (preflight), rootlesskit in
 * front of dockerd (preDaemon, at BASE so that other taps see and edit it), the user switch and its dirs (daemonLaunch).
 */
export function rootlessPlugin(): EnvboxPlugin {
  return {
    name: 'rootless',
    inputs: [rootlessUser, rootlessDir],
    apply({ hooks, stages }) {
      hooks.configure.tap({ stage: stages.BASE }, (options) => rootlessOptions(options));
      // At CHECK, where no tap may change the options: a value another tap set (say, sysbox-runc), even
      // a site's last-word override, is refused as the user's own would be.
      hooks.configure.tap({ stage: stages.CHECK }, (options) => {
        const problems = rootlessInputProblems(options);
        if (problems.length > 0) throw new InputError(problems);
        return options;
      });

      hooks.daemonIdentity.tap(async (daemon, ctx) => {
        if (!ctx.options.get(rootless)) return daemon;
        return { ...daemon, rootless: await readRootlessIdentity(ctx.host, ctx.options.get(rootlessUser)) };
      });

      hooks.preflight.tap(async (ctx) => {
        const identity = rootlessUserOf(ctx);
        if (!identity || !ctx.managedDaemon) return;
        await assertRootlessRequirements(ctx.host, identity);
        const { subuid } = identity;
        ctx.buildLog.info(`Starting a rootless dockerd as ${identity.name} (uid ${identity.uid}, subordinate ids ${subuid.start}-${subuid.start + subuid.count - 1})...`);
      });

      hooks.preDaemon.tap({ stage: stages.BASE }, async (spec, ctx) => {
        const identity = rootlessUserOf(ctx);
        if (!identity) return spec;
        const dir = ctx.options.get(rootlessDir);
        const mtu = await ctx.host.linkMtu(ctx.options.get(ethlink));
        return { argv: rootlesskitArgv(spec.argv, { stateDir: `${dir}/rootlesskit`, mtu }), env: { ...spec.env, ...rootlessEnv(identity, dir) } };
      });

      hooks.daemonLaunch.tap((launch, ctx) => {
        const identity = rootlessUserOf(ctx);
        if (!identity) return launch;
        for (const action of rootlessDirActions(identity, [ctx.options.get(rootlessDir), ctx.dataRoot, ctx.options.get(dockerExecRoot)])) ctx.act(action);
        // The cgroup-v2 wrapper remounts /sys/fs/cgroup, which the rootless user may not do.
        return { argv: asRootlessUser(launch.argv, identity, ctx.options.secretEnvNames()), env: launch.env, cgroupNesting: false };
      });
    },
  };
}
