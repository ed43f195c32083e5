// @ts-check
/**
 * A site POLICY: workspaces come only from the company's registries and never get more than their
 * share of the node. It runs at the POLICY stage, so it sees what every other plugin decided.
 *
 *   plugins: [['./policy.mjs', { registries: ['registry.corp.example'], maxCpus: 8, maxMemory: '16Gi' }]]
 */
import { InputError, coreInputs, definePlugin, inputKinds, withHostConfig } from 'envbox';

/** Docker's CFS period; a quota of N x period is N CPUs. */
const CPU_PERIOD = 100_000;

/**
 * @typedef {object} PolicyOptions
 * @property {string[]} registries Registries (host[:port]) images may come from.
 * @property {number} [maxCpus] At most this many CPUs per workspace (also the default when none is asked for).
 * @property {string | number} [maxMemory] At most this much memory, in bytes or with a unit (`16Gi`).
 */

/** @param {PolicyOptions} options */
export default function policy(options) {
  const maxMemory = options.maxMemory === undefined ? undefined : inputKinds.byteSizeInput.parse(options.maxMemory);
  return definePlugin({
    name: 'site-policy',
    apply({ hooks, stages }) {
      hooks.configure.tap({ stage: stages.POLICY }, (resolved) => {
        const image = resolved.get(coreInputs.innerImage);
        if (!options.registries.includes(image.registry)) {
          throw new InputError([{
            variable: coreInputs.innerImage.env,
            problem: `"${image.raw}" comes from ${image.registry}, which this site does not allow (allowed: ${options.registries.join(', ')})`,
            example: `${coreInputs.innerImage.env}=${options.registries[0]}/team/workspace:latest`,
          }]);
        }
        return resolved;
      });

      hooks.containerSpec.tap({ stage: stages.POLICY }, (body, ctx) => {
        let next = body;
        const { CpuQuota, CpuPeriod = CPU_PERIOD, Memory } = body.HostConfig;
        if (options.maxCpus !== undefined && (CpuQuota === undefined || CpuQuota <= 0 || CpuQuota / CpuPeriod > options.maxCpus)) {
          if (CpuQuota !== undefined) ctx.buildLog.info(`Site policy: CPUs capped at ${options.maxCpus}.`);
          next = withHostConfig(next, { CpuPeriod, CpuQuota: Math.round(options.maxCpus * CpuPeriod) });
        }
        if (maxMemory !== undefined && (Memory === undefined || Memory <= 0 || Memory > maxMemory)) {
          if (Memory !== undefined) ctx.buildLog.info(`Site policy: memory capped at ${options.maxMemory}.`);
          next = withHostConfig(next, { Memory: maxMemory });
        }
        return next;
      });
    },
  });
}
