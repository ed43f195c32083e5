import { CPU_PERIOD_US } from '../../core/inputs/kinds.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { withHostConfig } from '../../core/spec/edits.js';
import { cpus, memory } from './inputs.js';

/** The CFS period Docker uses; the quota is expressed in it (CODER_CPUS is checked against it). */
export const CPU_PERIOD = CPU_PERIOD_US;

/** CODER_CPUS and CODER_MEMORY: limits that processes in the workspace can see in their cgroup. */
export function resourcesPlugin(): EnvboxPlugin {
  return {
    name: 'resources',
    inputs: [cpus, memory],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        const cpuCount = ctx.options.get(cpus);
        const bytes = ctx.options.get(memory);
        let next = body;
        if (cpuCount !== undefined) next = withHostConfig(next, { CpuPeriod: CPU_PERIOD, CpuQuota: Math.round(cpuCount * CPU_PERIOD) });
        if (bytes !== undefined) next = withHostConfig(next, { Memory: bytes });
        return next;
      });
    },
  };
}
