import { AsyncLocalStorage } from 'node:async_hooks';

/** The plugin and hook whose tap is running, across its awaits. */
interface TapScope {
  plugin: string;
  hook: string;
}

const runningTap = new AsyncLocalStorage<TapScope>();

export function inTap<T>(scope: TapScope, work: () => T): T {
  return runningTap.run(scope, work);
}

interface EnvRead extends TapScope {
  name: string;
}

/**
 * Names a process has whatever envbox's inputs are; a plugin that reads them needs no input of its own.
 * Proxy variables are read by undici and the Docker client on a plugin's behalf.
 */
const PROCESS_NAMES = /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|TERM|LANG|LANGUAGE|TZ|TMPDIR|HOSTNAME|(LC|NODE|npm)_.*|(https?|no|all)_proxy)$/i;

/**
 * Runs `work` with `process.env` replaced by `env` seen through a recorder: every read a plugin's tap
 * makes is kept, so that `plan` and `envbox/testing` can name the plugins that read settings around
 * their declared inputs (such a setting is missing from --help and plan, is never validated, and is
 * empty in a test). Writes reach `env`. The real `process.env` is back when `work` settles.
 */
export async function recordingEnvReads<T>(env: NodeJS.ProcessEnv, work: (reads: readonly EnvRead[]) => Promise<T>): Promise<T> {
  const reads: EnvRead[] = [];
  const note = (property: string | symbol) => {
    const scope = runningTap.getStore();
    if (scope && typeof property === 'string') reads.push({ ...scope, name: property });
  };
  const watched = new Proxy(env, {
    get(target, property, receiver) { note(property); return Reflect.get(target, property, receiver) as unknown; },
    has(target, property) { note(property); return Reflect.has(target, property); },
  });
  const real = process.env;
  process.env = watched;
  try {
    return await work(reads);
  } finally {
    process.env = real;
  }
}

/** One warning per plugin and name, for reads of names that no input declares and no process has anyway. */
export function undeclaredEnvWarnings(reads: readonly EnvRead[], declared: ReadonlySet<string>): string[] {
  const seen = new Map<string, EnvRead>();
  for (const read of reads) {
    if (declared.has(read.name) || PROCESS_NAMES.test(read.name)) continue;
    const key = `${read.plugin}\0${read.name}`;
    if (!seen.has(key)) seen.set(key, read);
  }
  return [...seen.values()].map((read) =>
    `plugin "${read.plugin}" read process.env.${read.name} in ${read.hook}, which no input declares. ` +
    `Declare it with defineInput({ env: '${read.name}', ... }) and read it with ctx.options.get(...): then it is checked, ` +
    `listed in --help and plan, and set in envbox/testing runs (which give plugins only the test's env).`);
}
