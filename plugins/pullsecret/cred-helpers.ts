import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import * as z from 'zod';
import { inputKinds, type PullAuth, registryAuthKeys } from 'envbox';
import { authKeyHost } from './docker-config.js';

/** A name that can only ever resolve to docker-credential-<name> in a PATH directory: no path, no option. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
const helperName = z.string().regex(HELPER_NAME, 'is not a credential helper name (letters, digits, "_", ".", "+", "-"; the program is docker-credential-<name> on PATH)');

/**
 * Docker credential helpers, as the docker CLI runs them: `credHelpers` (per registry) or
 * `credsStore` (for all) in the docker config name a program `docker-credential-<name>`, asked with
 * `get` and the registry on stdin, answering {"ServerURL","Username","Secret"} on stdout.
 */
const helperConfigSchema = z.looseObject({
  credHelpers: z.record(z.string(), helperName).optional(),
  // The docker CLI writes "credsStore": "" for none.
  credsStore: z.union([z.literal(''), helperName]).optional(),
});

export type HelperConfig = z.infer<typeof helperConfigSchema>;

/** The helper part of a docker config's text; what is wrong is said without quoting the file. */
export function parseHelperConfig(text: string, what: string): HelperConfig | inputKinds.Problem {
  return inputKinds.parseJson(text, helperConfigSchema, what, true);
}

interface ChosenHelper {
  /** What follows `docker-credential-`. */
  name: string;
  /** What the helper is asked for on stdin: the registry as the docker CLI names it. */
  serverAddress: string;
  /** `credHelpers` (for this registry) or `credsStore` (for all). */
  from: 'credHelpers' | 'credsStore';
}

/** As the docker CLI: the registry's own credHelpers entry first, then credsStore. */
export function chooseHelper(config: HelperConfig, registry: string): ChosenHelper | null {
  const wanted = registryAuthKeys(registry);
  const serverAddress = wanted[0]!;
  const helpers = Object.entries(config.credHelpers ?? {});
  const exact = wanted.map((key) => helpers.find(([k]) => k === key)).find((entry) => entry !== undefined);
  const hosts = new Set(wanted.map(authKeyHost));
  const byHost = exact ?? helpers.find(([k]) => hosts.has(authKeyHost(k)));
  if (byHost) return { name: byHost[1], serverAddress, from: 'credHelpers' };
  if (config.credsStore) return { name: config.credsStore, serverAddress, from: 'credsStore' };
  return null;
}

/** The helper's program in a PATH directory, if an executable file is there. */
export async function findHelper(name: string, pathEnv: string | undefined): Promise<string | null> {
  if (!HELPER_NAME.test(name)) return null;
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry would depend on the working directory
    const program = join(dir, `docker-credential-${name}`);
    try {
      if (!(await stat(program)).isFile()) continue;
      await access(program, constants.X_OK);
      return program;
    } catch { /* not in this directory */ }
  }
  return null;
}

interface HelperRunOptions {
  timeoutMs?: number;
  /** stdout and stderr together are cut off past this many bytes. */
  maxBytes?: number;
  env: NodeJS.ProcessEnv;
}

const helperAnswerSchema = z.looseObject({
  ServerURL: z.string().optional(),
  Username: z.string().optional(),
  Secret: z.string().min(1, 'is empty'),
});

/** The docker CLI's marker for an identity token in place of a user name. */
const TOKEN_USER = '<token>';

/** The first line of what the helper wrote to stderr, bounded, for a warning (scrubbed by the build log like any line). */
function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Fields of a helper's answer, or of any JSON it prints, that hold a credential (any case). */
const CREDENTIAL_FIELDS = new Set(['secret', 'username', 'password', 'token', 'identitytoken', 'accesstoken', 'auth']);
/** A quoted credential field in text that is not whole JSON (an answer then an error line, or an answer cut off). */
const QUOTED_FIELD = /"([A-Za-z]+)"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;

/**
 * Every credential-like value in a helper's stdout, however it failed: a helper may print its answer
 * and then exit non-zero, or print a partial answer. They are scrubbed even when they are not used.
 */
export function credentialsInHelperOutput(stdout: string): string[] {
  const found = new Set<string>();
  const take = (key: string, value: unknown) => {
    if (typeof value === 'string' && value !== '' && value !== TOKEN_USER && CREDENTIAL_FIELDS.has(key.toLowerCase())) found.add(value);
  };
  for (const text of [stdout, ...stdout.split('\n')]) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) for (const [key, value] of Object.entries(parsed)) take(key, value);
    } catch { /* not JSON: the quoted fields below */ }
  }
  for (const [, key, quoted] of stdout.matchAll(QUOTED_FIELD)) {
    try {
      take(key!, JSON.parse(`"${quoted}"`));
    } catch {
      take(key!, quoted);
    }
  }
  return [...found];
}

export class HelperError extends Error {
  /** Credentials the failed helper printed anyway: the caller scrubs them before it says anything. */
  constructor(message: string, readonly printedSecrets: readonly string[] = []) {
    super(message);
  }
}

/**
 * Runs `<program> get` with the registry on stdin: the credentials, or null when the helper has
 * none for it ("credentials not found", as helpers say it). Never a shell; bounded in time and output.
 * Its stdout is never quoted (it holds the answer, whole or in part); only its stderr is.
 */
export function runHelper(program: string, serverAddress: string, options: HelperRunOptions): Promise<PullAuth | null> {
  const { timeoutMs = 10_000, maxBytes = 64 * 1024, env } = options;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: timeoutMs, maxBuffer: maxBytes, env, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const printed = [...new Set([...credentialsInHelperOutput(stdout), ...credentialsInHelperOutput(stderr)])];
        // Helpers built on docker-credential-helpers say this on stdout; it is matched, not quoted.
        if (printed.length === 0 && /credentials not found/i.test(`${stderr}\n${stdout}`)) { resolve(null); return; }
        const said = firstLine(stderr);
        const code: unknown = error.code;
        const why = code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' ? `wrote more than ${maxBytes} bytes`
          : error.killed ? `did not answer within ${timeoutMs / 1000} s`
            : `failed (${typeof code === 'number' ? `exit code ${code}` : String(code ?? error.signal)})${said ? `: ${said}` : ''}`
              + (stdout.trim() ? ' (its output on stdout is not shown: it may hold a secret)' : '');
        reject(new HelperError(`${program} get ${why}`, printed));
        return;
      }
      const answer = inputKinds.parseJson(stdout, helperAnswerSchema, 'a credential helper answer ({"ServerURL","Username","Secret"})', true);
      if (answer instanceof inputKinds.Problem) {
        reject(new HelperError(`${program} get answered with something that ${answer.text}`, credentialsInHelperOutput(stdout)));
        return;
      }
      resolve(answer.Username === TOKEN_USER || !answer.Username
        ? { identitytoken: answer.Secret, serveraddress: serverAddress }
        : { username: answer.Username, password: answer.Secret, serveraddress: serverAddress });
    });
    child.stdin?.on('error', () => { /* a helper that exits without reading stdin is judged by its exit */ });
    child.stdin?.end(serverAddress);
  });
}

interface HelperContext {
  /** The env the helper runs with (envbox's, less its secret inputs); its PATH is searched. */
  env: NodeJS.ProcessEnv;
  /** Tells the scrubber a value is secret before anything can print it. */
  redact(values: string[]): void;
  warn(text: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
  run?: typeof runHelper;
}

/**
 * Credentials from the helper the config names for `registry`, or null (none named, no such
 * program, no credentials, or a helper that failed: each warned about), so that the config's
 * `auths` and then an anonymous pull are tried, as when no helper is set.
 */
export async function helperCredentials(config: HelperConfig, registry: string, ctx: HelperContext): Promise<PullAuth | null> {
  const chosen = chooseHelper(config, registry);
  if (chosen === null) return null;
  const program = await findHelper(chosen.name, ctx.env.PATH);
  if (program === null) {
    ctx.warn(`the docker config's ${chosen.from} names the credential helper "${chosen.name}" for ${registry}, but docker-credential-${chosen.name} is not on PATH; using its "auths" instead, if any.`);
    return null;
  }
  try {
    const auth = await (ctx.run ?? runHelper)(program, chosen.serverAddress, { env: ctx.env });
    if (auth === null) {
      ctx.debug({ helper: program, registry }, 'the credential helper has no credentials for this registry');
      return null;
    }
    ctx.redact('password' in auth ? [auth.password] : [auth.identitytoken]);
    ctx.debug({ helper: program, registry, from: chosen.from }, 'using registry credentials from a credential helper');
    return auth;
  } catch (error) {
    if (error instanceof HelperError && error.printedSecrets.length > 0) ctx.redact([...error.printedSecrets]);
    ctx.warn(`${(error as Error).message}; using the docker config's "auths" instead, if any.`);
    return null;
  }
}
