import { getHeapSpaceStatistics } from 'node:v8';
import type { Logger } from '../log/logger.js';

const MIB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

/**
 * A debug line with where the supervisor's memory is, some seconds after ready (when startup's
 * garbage has been collected): RSS, the V8 heap by space, and memory outside it (buffers, TLS).
 * It answers "what does the idle supervisor hold" without a profiler.
 */
export function reportMemoryLater(log: Logger, afterMs = 5_000): void {
  if (!log.isLevelEnabled('debug')) return;
  setTimeout(() => {
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, `${mib(s.space_used_size)}/${mib(s.space_size)}`]));
    log.debug({ rssMiB: mib(usage.rss), heapUsedMiB: mib(usage.heapUsed), heapTotalMiB: mib(usage.heapTotal), externalMiB: mib(usage.external), arrayBuffersMiB: mib(usage.arrayBuffers), heapSpacesMiB: spaces }, `memory ${afterMs / 1000} s after ready`);
  }, afterMs).unref();
}
