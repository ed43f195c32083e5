import { defineInput } from '../../core/inputs/define.js';
import { byteSizeInput, cpusInput } from '../../core/inputs/kinds.js';

export const cpus = defineInput({
  key: 'cpus', env: 'CODER_CPUS', flag: 'cpus', schema: cpusInput,
  description: 'CPUs for the workspace (CpuQuota = cpus x CpuPeriod 100000); decimals like 1.5 allowed, from 0.01 (Docker\'s 1 ms minimum quota) to 175921860 (the kernel\'s largest).', example: '2',
});
export const memory = defineInput({
  key: 'memory', env: 'CODER_MEMORY', flag: 'memory', schema: byteSizeInput,
  description: 'Memory limit of the workspace, in bytes or with a unit (Ki, Mi, Gi, K, M, G).', example: '1073741824',
});
