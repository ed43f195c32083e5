import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvboxRun } from './envbox.js';
import { waitUntil } from './proc.js';
import { Sandbox } from './sandbox.js';
import type { World } from './world-shape.js';

/** A token that cannot appear anywhere by chance, for secret searches. */
export function fakeAgentToken(): string {
  return `agent-token-${randomBytes(12).toString('hex')}`;
}

export function basicAuth(world: World, password = world.registry.password): string {
  return Buffer.from(`${world.registry.username}:${password}`).toString('base64');
}

/** A `.dockerconfigjson` pull secret; `key` is the auths key (the empty string names no host). */
export function pullSecret(world: World, options: { key?: string; password?: string } = {}): string {
  return JSON.stringify({ auths: { [options.key ?? world.registry.host]: { auth: basicAuth(world, options.password) } } });
}

/**
 * Copies the world's CA into the sandbox's /var/lib/envbox-certs and returns the path the sandbox
 * sees: the file itself, or the directory holding it (CODER_EXTRA_CERTS_PATH takes both).
 */
export async function installCa(sandbox: Sandbox, form: 'file' | 'dir'): Promise<string> {
  const dir = join(sandbox.paths.varLib, 'envbox-certs');
  await mkdir(dir, { recursive: true });
  await copyFile(sandbox.world.registry.caPath, join(dir, 'registry-ca.crt'));
  return form === 'file' ? '/var/lib/envbox-certs/registry-ca.crt' : '/var/lib/envbox-certs';
}

/**
 * A bootstrap script that proves who ran it and records SIGTERM into the bind-mounted home
 * (`sleep & wait` lets the shell run its trap at once).
 */
export const TRAP_BOOTSTRAP = [
  'echo "bootstrap running as $(id -u)"',
  'id -u > "$HOME/bootstrap-uid"',
  'trap \'echo TERM > "$HOME/term-received"; exit 0\' TERM',
  'echo started > "$HOME/bootstrap-started"',
  'while :; do sleep 1 & wait $!; done',
].join('\n');

export async function ownerOf(path: string): Promise<{ uid: number; gid: number }> {
  const s = await stat(path);
  return { uid: s.uid, gid: s.gid };
}

export async function waitForFile(path: string, timeoutMs: number, what: string): Promise<void> {
  const found = await waitUntil(async () => (await stat(path).catch(() => null)) !== null, timeoutMs, 100);
  assert.ok(found, `${what}: ${path} did not appear within ${timeoutMs} ms`);
}

/** `docker exec workspace_cvm ...` in the sandbox; returns stdout, throws with stderr on failure. */
export async function innerExec(sandbox: Sandbox, argv: string[], options: { user?: string; container?: string } = {}): Promise<string> {
  const user = options.user ? ['-u', options.user] : [];
  return sandbox.dockerOk(['exec', ...user, options.container ?? 'workspace_cvm', ...argv]);
}

/** Asserts that no secret occurs in any byte envbox or its dockerd wrote. */
export async function assertNoSecrets(run: EnvboxRun, secrets: string[], extraText = ''): Promise<void> {
  const text = `${await run.capturedText()}\n${extraText}`;
  for (const secret of secrets) {
    assert.ok(secret.length >= 8, 'a secret to search for must be long enough not to match by chance');
    const at = text.indexOf(secret);
    assert.equal(at, -1, `a secret leaked at byte ${at}: ...${text.slice(Math.max(0, at - 120), at)}<SECRET>...`);
  }
}

/** The build log's `info` lines up to `done`, to check their order. */
export function infoOutputs(run: EnvboxRun): string[] {
  return run.buildLog().filter((l) => l.type === 'info').map((l) => l.output);
}

/** Asserts that each pattern matches some info line, in this order. */
export function assertInOrder(lines: string[], patterns: RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const at = lines.findIndex((l, i) => i >= from && pattern.test(l));
    assert.ok(at >= 0, `no build-log line matching ${pattern} after line ${from}; lines:\n${lines.map((l, i) => `${i}: ${l}`).join('\n')}`);
    from = at + 1;
  }
}

/** Asserts that envbox failed the way a user can act on: an error line saying `reason`, then a non-zero exit. */
export async function assertFailsWith(run: EnvboxRun, reason: RegExp, timeoutMs = 90_000, options: { afterReady?: boolean } = {}): Promise<void> {
  const status = await run.waitForExit(timeoutMs);
  const errors = run.buildLog().filter((l) => l.type === 'error');
  assert.ok(errors.length > 0, `no error line in the build log\n${run.tail()}`);
  assert.match(errors.map((e) => e.output).join('\n'), reason, run.tail());
  if (!options.afterReady) assert.equal(run.buildLog().some((l) => l.type === 'done'), false, 'a failed run must not log done');
  else assert.equal(run.buildLog().at(-1)?.type, 'error', 'the error is the last build-log line');
  assert.notEqual(status.code, 0, `exit status ${JSON.stringify(status)}`);
  assert.notEqual(status.code, null, `killed by ${status.signal} instead of exiting`);
}

/** Stops envbox with SIGTERM and asserts a clean exit (0) and that nothing it started is left. */
export async function stopCleanly(sandbox: Sandbox, run: EnvboxRun, timeoutMs = 60_000): Promise<void> {
  const status = await run.stop(timeoutMs);
  assert.deepEqual(status, { code: 0, signal: null }, `envbox should exit 0 on SIGTERM\n${run.tail()}`);
  await assertNothingLeft(sandbox);
}

/** No process of the sandbox is alive (a short grace for processes whose parent just reported their exit). */
export async function assertNothingLeft(sandbox: Sandbox, exclude: number[] = []): Promise<void> {
  await waitUntil(async () => (await sandbox.processes(exclude)).length === 0, 3_000, 100);
  const left = await sandbox.processes(exclude);
  assert.deepEqual(left.map((p) => `${p.pid} ${p.cmdline}`), [], 'processes left after envbox exited');
}

export type SandboxCase = (sandbox: Sandbox, track: (run: EnvboxRun) => EnvboxRun) => Promise<void>;

/** Runs one case in a fresh sandbox; the envbox it tracks is killed and the sandbox destroyed (and checked for leftovers) whatever happens. */
export async function withSandbox(world: World, label: string, fn: SandboxCase): Promise<void> {
  const sandbox = await Sandbox.create(world, label);
  let run: EnvboxRun | undefined;
  let failure: unknown;
  try {
    await fn(sandbox, (r) => (run = r));
  } catch (error) {
    failure = error;
  }
  run?.kill();
  const leftovers = await sandbox.destroy().then(() => undefined, (error: unknown) => error);
  // The case's own failure is the one to report: the leftovers usually follow from it (an
  // assertion failed before the stop), and a destroy error in a finally would hide it.
  if (failure !== undefined && leftovers !== undefined) {
    throw new AggregateError([failure, leftovers], `${messageOf(failure)}\n(then, destroying the sandbox: ${messageOf(leftovers)})`);
  }
  if (failure !== undefined) throw failure;
  if (leftovers !== undefined) throw leftovers;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
