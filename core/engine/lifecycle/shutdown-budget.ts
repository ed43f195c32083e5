/**
 * How long each step of a stop may take. Kubernetes kills the pod when terminationGracePeriodSeconds
 * runs out, so deploy examples size it from these (see worstCaseShutdownSeconds).
 */
export const CONTAINER_STOP_SECONDS = 10;
/** dockerd and the sysbox daemons get SIGTERM, then SIGKILL after this. */
export const DAEMON_STOP_GRACE_MS = 20_000;
/** Queued build-log lines still on their way to Coder at exit. */
export const LOG_FLUSH_MS = 5_000;

/**
 * The longest a SIGTERM-to-exit can take: the bootstrap's ENVBOX_SHUTDOWN_TIMEOUT, then the
 * workspace, then dockerd, then the sysbox daemons (together), then the Coder log flush.
 */
export function worstCaseShutdownSeconds(shutdownTimeoutSeconds: number, sysbox: boolean): number {
  const daemons = (sysbox ? 2 : 1) * DAEMON_STOP_GRACE_MS;
  return shutdownTimeoutSeconds + CONTAINER_STOP_SECONDS + (daemons + LOG_FLUSH_MS) / 1000;
}
