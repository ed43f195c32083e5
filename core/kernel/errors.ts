/** Exit codes: 0 clean stop, 1 runtime failure, 2 invalid input (nothing was started). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID_INPUT = 2;

export interface InputProblem {
  /** How the user spelled the input: `CODER_CPUS`, `--cpus`, or `cpus (in envbox.config.js)`. */
  variable: string;
  problem: string;
  example: string;
}

/** Bad input. Raised before anything is started; the CLI exits 2. */
export class InputError extends Error {
  readonly code = 'INPUT_ERROR';
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.problem}. Example: ${p.example}`).join('\n'));
    this.name = 'InputError';
  }
}

/** A plugin's tap threw or rejected. Names the plugin and the hook, as Rollup does. */
export class PluginError extends Error {
  readonly code = 'PLUGIN_ERROR';
  constructor(readonly plugin: string, readonly hook: string, override readonly cause: unknown) {
    super(`plugin "${plugin}" failed in hook "${hook}": ${messageOf(cause)}`);
    this.name = 'PluginError';
  }
}

/** A runtime failure with, when the cause is known, what the user should do next. */
export class EnvboxError extends Error {
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvboxError';
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Wraps a rejection value that is not an Error, so stack and message survive. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
