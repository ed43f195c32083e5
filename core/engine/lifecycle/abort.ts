/** Thrown when SIGTERM/SIGINT arrives while envbox is still starting things. */
export class StopRequested extends Error {
  constructor(readonly signalName: string) {
    super(`stopped by ${signalName}`);
    this.name = 'StopRequested';
  }
}

/** Settles with `work`, or rejects with StopRequested as soon as `signal` aborts. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error as Error); },
    );
  });
}
