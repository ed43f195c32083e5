import { terminationLog } from '../core/kernel/inputs/core-inputs.js';
import { resolveInputs } from '../core/kernel/inputs/resolve.js';

/** `--termination-log=PATH` or `--termination-log PATH`, the last one given; undefined when absent. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith(`--${flag}=`)) value = arg.slice(flag.length + 3);
    else if (arg === `--${flag}`) value = argv[i + 1];
  }
  return value;
}

/**
 * Where a failure that came before the options resolved (bad input, a broken config) is written
 * for Kubernetes: the same precedence and validation as every input (the flag beats the env var),
 * and null when the chosen value is invalid, such as a relative path, because invalid means unused.
 */
export function earlyTerminationLogPath(argv: readonly string[], env: Record<string, string | undefined>): string | null {
  const flag = flagValue(argv, terminationLog.flag);
  try {
    return resolveInputs([terminationLog], { env, flags: { [terminationLog.flag]: flag } }).get(terminationLog);
  } catch {
    return null;
  }
}
