import { coreInputs, withHostConfig, type EnvboxPlugin } from 'envbox';
import { CPU_PERIOD_US, cpus, memory } from './inputs.js';
import { rootlessLimitSupport } from './rootless-limits.js';

/** The CFS period Docker uses; the quota is expressed in it (CODER_CPUS is checked against it). */
export const CPU_PERIOD = CPU_PERIOD_US;

/**
 * CODER_CPUS and CODER_MEMORY: limits that processes in the workspace can see in their cgroup.
 * Rootless, they are set only where the daemon can enforce them; elsewhere they are left off with
 * a warning (in the build log and `envbox status`), never dropped silently.
 */
export function resourcesPlugin(): EnvboxPlugin {
  return {
    name: 'resources',
    inputs: [cpus, memory],
    apply({ hooks }) {
      hooks.containerSpec.tap(async (body, ctx) => {
        const cpuCount = ctx.options.get(cpus);
        const bytes = ctx.options.get(memory);
        if (cpuCount === undefined && bytes === undefined) return body;
        const { rootless } = ctx.daemon;
        const support = rootless ? await rootlessLimitSupport(ctx.host, ctx.options.get(coreInputs.cgroupRoot), rootless) : { enforced: true as const };
        if (!support.enforced) {
          const asked = [cpuCount !== undefined ? `${cpus.env}=${cpuCount}` : '', bytes !== undefined ? `${memory.env}=${bytes}` : ''].filter(Boolean).join(' and ');
          ctx.buildLog.warn(`${asked} not enforced on the workspace: ${support.reason}. The envbox container's own limits still bound it; set them on the pod.`);
          return body;
        }
        let next = body;
        if (cpuCount !== undefined) next = withHostConfig(next, { CpuPeriod: CPU_PERIOD, CpuQuota: Math.round(cpuCount * CPU_PERIOD) });
        if (bytes !== undefined) next = withHostConfig(next, { Memory: bytes });
        return next;
      });
    },
  };
}
