import { posix } from 'node:path';
import { InputError, type InputProblem } from '../../core/errors.js';
import { cgroupRoot, containerName, runtime } from '../../core/inputs/core-inputs.js';
import { HOST_NAME_MAX } from '../../core/inputs/kinds.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { STAGE } from '../../core/hooks.js';
import { withExtraHost } from '../../core/spec/edits.js';
import type { ContainerCreateBody } from '../../core/spec/types.js';
import { copyCpuQuota, readOuterCpuQuota, selfCgroupPath } from './cpu-quota.js';
import { innerHostname, innerWorkDir } from './inputs.js';

/**
 * The workspace container's base: who it runs as, what PID 1 is, its name on the network, and
 * what is done in it right after it starts. Registered like any other plugin, at the BASE stage.
 */
export function workspacePlugin(): EnvboxPlugin {
  return {
    name: 'workspace',
    inputs: [innerWorkDir, innerHostname],
    apply({ hooks }) {
      hooks.configure.tap((options) => {
        const problem = hostnameFromNameProblem(options.get(containerName), options.get(innerHostname));
        if (problem !== null) throw new InputError([problem]);
        return options;
      });

      hooks.containerSpec.tap({ stage: STAGE.BASE }, (body, ctx) => {
        const workDir = ctx.options.get(innerWorkDir);
        const base: ContainerCreateBody = {
          ...body,
          User: 'root',
          Hostname: ctx.options.get(innerHostname) ?? ctx.containerName,
          ...(workDir ? { WorkingDir: workDir } : {}),
          // /sbin/init when the image has one (systemd under sysbox); otherwise something that waits forever.
          Entrypoint: ctx.facts.hasInit ? ['/sbin/init'] : ['sleep', 'infinity'],
          Cmd: [],
          Tty: false,
          HostConfig: {
            ...body.HostConfig,
            // As PID 1, sleep ignores SIGTERM and every stop would wait docker's timeout; docker's init forwards it.
            ...(ctx.facts.hasInit ? {} : { Init: true }),
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
        if (made.exitCode !== 0) throw new Error(`mkdir -p ${binaryDir} as uid ${ctx.facts.uid} failed (${made.exitCode}): ${made.output.trim()}`);
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
export function hostnameFromNameProblem(name: string, hostname: string | undefined): InputProblem | null {
  if (hostname !== undefined || name.length <= HOST_NAME_MAX) return null;
  return {
    variable: containerName.env,
    problem: `"${name.slice(0, 20)}..." is ${name.length} characters long and, with no ${innerHostname.env} set, becomes the hostname, which Linux limits to ${HOST_NAME_MAX}`,
    example: `${containerName.env}=${containerName.example} (or set ${innerHostname.env}=${innerHostname.example})`,
  };
}
