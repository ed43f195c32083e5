import { posix } from 'node:path';
import {
  InputError, STAGE, coreInputs, quoteBounded, withExtraHost, type ContainerCreateBody, type EnvboxPlugin, type InputProblem,
} from 'envbox';
import { copyCpuQuota, readOuterCpuQuota, selfCgroupPath } from './cpu-quota.js';
import { HOST_NAME_MAX, innerHostname, innerWorkDir, skipInit } from './inputs.js';

const { cgroupRoot, containerName, innerImage, rootless, runtime } = coreInputs;

/** How much of a failed exec's output an error quotes. */
const QUOTED_OUTPUT_MAX_CHARS = 500;

/**
 * The workspace container's base: who it runs as, what PID 1 is, its name on the network, and
 * what is done in it right after it starts. Registered like any other plugin, at the BASE stage.
 */
export function workspacePlugin(): EnvboxPlugin {
  return {
    name: 'workspace',
    inputs: [innerWorkDir, innerHostname, skipInit],
    apply({ hooks }) {
      hooks.configure.tap((options) => {
        const problem = hostnameFromNameProblem(options.get(containerName), options.get(innerHostname));
        if (problem !== null) throw new InputError([problem]);
        return options;
      });

      hooks.containerSpec.tap({ stage: STAGE.BASE }, (body, ctx) => {
        const workDir = ctx.options.get(innerWorkDir);
        if (ctx.facts.hasInit && ctx.daemon.rootless && !ctx.options.get(skipInit)) throw rootlessInitError(ctx.options.get(innerImage).raw);
        const useInit = ctx.facts.hasInit && !ctx.options.get(skipInit);
        const base: ContainerCreateBody = {
          ...body,
          User: 'root',
          Hostname: ctx.options.get(innerHostname) ?? ctx.containerName,
          ...(workDir ? { WorkingDir: workDir } : {}),
          // /sbin/init when the image has one (systemd under sysbox); otherwise something that waits forever.
          Entrypoint: useInit ? ['/sbin/init'] : ['sleep', 'infinity'],
          Cmd: [],
          Tty: false,
          HostConfig: {
            ...body.HostConfig,
            // As PID 1, sleep ignores SIGTERM and every stop would wait docker's timeout; docker's init forwards it.
            ...(useInit ? {} : { Init: true }),
            Runtime: ctx.options.get(runtime),
            AutoRemove: true,
          },
        };
        return withExtraHost(base, 'host.docker.internal', 'host-gateway');
      });

      hooks.postStart.tap(async (ctx) => {
        // The agent downloads here rather than to /tmp, which systemd may remount under it.
        const binaryDir = posix.join(ctx.facts.home, '.coder');
        ctx.buildLog.info(`Creating "${binaryDir}" to hold Coder's files...`);
        const made = await ctx.docker.exec(ctx.containerId, { cmd: ['mkdir', '-p', binaryDir], user: String(ctx.facts.uid) });
        // The output is the image's to choose (up to the exec's 1 MiB): a few lines say why, and the error lands in the status file.
        if (made.exitCode !== 0) throw new Error(`mkdir -p ${binaryDir} as uid ${ctx.facts.uid} failed (${made.exitCode}): ${quoteBounded(made.output.trim(), QUOTED_OUTPUT_MAX_CHARS)}`);
      });

      hooks.postStart.tap(async (ctx) => {
        try {
          const self = selfCgroupPath((await ctx.host.readFile('/proc/self/cgroup')) ?? '');
          const quota = await readOuterCpuQuota(ctx.options.get(cgroupRoot), self);
          const state = await ctx.docker.inspectContainer(ctx.containerId);
          const ownQuota = Number(state?.hostConfig.CpuQuota ?? 0) > 0;
          const outcome = await copyCpuQuota(quota, ctx.containerId, ownQuota);
          ctx.log.debug({ quota, outcome }, 'cpu quota copy');
        } catch (error) {
          ctx.buildLog.info(`Unable to copy the CPU quota into the workspace: ${(error as Error).message}`);
          ctx.buildLog.info('This is not fatal, but cgroup-aware programs in the workspace may misjudge their CPU share.');
        }
      });
    },
  };
}

/**
 * Without CODER_INNER_HOSTNAME the container name is the hostname, and the kernel refuses one over
 * 64 characters when the container starts. Docker itself accepts "_" and "." in it (workspace_cvm).
 */
function hostnameFromNameProblem(name: string, hostname: string | undefined): InputProblem | null {
  if (hostname !== undefined || name.length <= HOST_NAME_MAX) return null;
  return {
    variable: containerName.env,
    problem: `"${name.slice(0, 20)}..." is ${name.length} characters long and, with no ${innerHostname.env} set, becomes the hostname, which Linux limits to ${HOST_NAME_MAX}`,
    example: `${containerName.env}=${containerName.example} (or set ${innerHostname.env}=${innerHostname.example})`,
  };
}

/** systemd cannot run under a rootless daemon; running the image without it must be the user's choice. */
function rootlessInitError(image: string): InputError {
  return new InputError([{
    variable: rootless.env,
    problem: `is true, and the image ${image} has /sbin/init, which cannot run under a rootless dockerd (systemd fails in every rootless variant); set ${skipInit.env}=true to run it without init, or run it in the privileged mode`,
    example: `${rootless.env}=true ${skipInit.env}=true`,
  }]);
}
