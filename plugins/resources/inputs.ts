import { defineInput, inputKinds } from 'envbox';

/** The CFS period envbox gives Docker; a CPU count becomes a quota of cpus x this many µs. */
export const CPU_PERIOD_US = 100_000;

/** Docker refuses a CFS quota under 1 ms ("CPU cfs quota can not be less than 1ms"). */
const MIN_CPU_QUOTA_US = 1_000;
/** The kernel refuses a quota over 2^44 - 1 µs (max_cfs_runtime, "more than 203 days"). */
const MAX_CPU_QUOTA_US = 2 ** 44 - 1;
const MIN_CPUS = MIN_CPU_QUOTA_US / CPU_PERIOD_US;
const MAX_CPUS = Math.floor(MAX_CPU_QUOTA_US / CPU_PERIOD_US);

/** A positive decimal number of CPUs, like Kubernetes' `1.5`; we keep millicpu precision. */
const cpusInput = inputKinds.textInput((text) => {
  if (!/^\d+(\.\d{1,3})?$/.test(text.trim())) return new inputKinds.Problem(`${inputKinds.quote(text)} is not a number of CPUs (a positive number, at most 3 decimals)`);
  const cpus = Number(text);
  if (cpus <= 0) return new inputKinds.Problem('must be greater than 0');
  if (cpus < MIN_CPUS) return new inputKinds.Problem(`${text.trim()} is below ${MIN_CPUS}, Docker's smallest CPU quota (1000 µs per ${CPU_PERIOD_US} µs period)`);
  if (cpus > MAX_CPUS) return new inputKinds.Problem(`${inputKinds.quote(text.trim())} is above ${MAX_CPUS}, the largest CPU quota the kernel accepts (2^44-1 µs per ${CPU_PERIOD_US} µs period)`);
  return cpus;
});

export const cpus = defineInput({
  key: 'cpus', env: 'CODER_CPUS', flag: 'cpus', schema: cpusInput,
  description: 'CPUs for the workspace (CpuQuota = cpus x CpuPeriod 100000); decimals like 1.5 allowed, from 0.01 (Docker\'s 1 ms minimum quota) to 175921860 (the kernel\'s largest).', example: '2',
});
export const memory = defineInput({
  key: 'memory', env: 'CODER_MEMORY', flag: 'memory', schema: inputKinds.byteSizeInput,
  description: 'Memory limit of the workspace, in bytes or with a unit (Ki, Mi, Gi, K, M, G).', example: '1073741824',
});
