import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StandInSnapshot } from '../coderd/serve.js';
import { makeTestCa } from '../coderd/tls.js';
import { repoRoot } from './paths.js';
import { waitUntil } from './proc.js';
import { SANDBOX_PATH, type Sandbox } from './sandbox.js';

/**
 * The coderd stand-in as its own process inside the sandbox's network namespace, where envbox
 * can reach it; what it received is read back from the JSON file it keeps.
 */
export async function startStandInInSandbox(sandbox: Sandbox, token: string, options: { unauthorizedFirst?: number } = {}) {
  const pki = join(sandbox.paths.dir, 'coderd-pki');
  await mkdir(pki, { recursive: true });
  const ca = makeTestCa(pki);
  const out = join(sandbox.paths.dir, 'coderd-received.json');
  const child: ChildProcess = sandbox.spawn('coderd stand-in', [
    process.execPath, '--import', import.meta.resolve('tsx'), join(repoRoot, 'integration', 'coderd', 'serve.ts'),
    '--cert', join(pki, 'server.pem'), '--key', join(pki, 'server.key'), '--out', out, '--unauthorized-first', String(options.unauthorizedFirst ?? 0),
  ], { env: { PATH: SANDBOX_PATH, HOME: '/root', CODERD_STANDIN_TOKEN: token } });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const snapshot = async (): Promise<StandInSnapshot | null> => {
    const text = await readFile(out, 'utf8').catch(() => null);
    return text === null ? null : JSON.parse(text) as StandInSnapshot;
  };
  const up = await waitUntil(async () => child.exitCode !== null || (await snapshot()) !== null, 30_000, 50);
  if (!up || child.exitCode !== null) throw new Error(`the stand-in did not start in the sandbox (exit ${child.exitCode}):\n${output}`);
  const url = (await snapshot())!.url;
  return { child, ca, url, snapshot, output: () => output };
}
