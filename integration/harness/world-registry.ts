import type { ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, waitUntil } from './proc.js';
import { assetsDir } from './paths.js';
import type { Sandbox } from './sandbox.js';
import type { World } from './world-shape.js';

export interface WorldRegistryOptions {
  /** Names the process and its folder in the sandbox: "gateway registry". */
  label: string;
  /** host:port it listens on, inside the sandbox's network namespace. */
  listen: string;
  /** curl's TLS and address arguments and the URL of `/v2/`, as a client in the sandbox reaches it. */
  probe: string[];
}

/**
 * A second registry process on the world's storage (the images were pushed there once), with the
 * world's TLS certificate and htpasswd, listening where a test's clients can reach it; up once `/v2/`
 * answers 401.
 */
export async function serveWorldRegistry(world: World, sandbox: Sandbox, options: WorldRegistryOptions): Promise<ChildProcess> {
  const dir = join(sandbox.paths.dir, options.label.replace(/\s+/g, '-'));
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'registry.yml');
  await writeFile(config, [
    'version: 0.1',
    'log: {level: warn}',
    `storage: {filesystem: {rootdirectory: ${join(world.runDir, 'registry')}}}`,
    'http:',
    `  addr: ${options.listen}`,
    '  secret: envbox-test-world',
    `  tls: {certificate: ${join(assetsDir, 'pki', 'server.pem')}, key: ${join(assetsDir, 'pki', 'server.key')}}`,
    'auth:',
    `  htpasswd: {realm: envbox-test, path: ${join(assetsDir, 'auth', 'htpasswd')}}`,
    '',
  ].join('\n'));
  const log = await open(join(dir, 'registry.log'), 'a');
  const child = sandbox.spawn(options.label, ['docker-registry', 'serve', config], { stdoutFile: log.fd });
  await log.close();
  const up = await waitUntil(async () => {
    if (child.exitCode !== null) return true;
    const r = await run(['nsenter', `--net=/run/netns/${sandbox.netns}`, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', ...options.probe], { timeoutMs: 5_000 });
    return r.stdout.trim() === '401';
  }, 15_000, 100);
  if (!up || child.exitCode !== null) {
    throw new Error(`the ${options.label} did not come up (exit ${child.exitCode}):\n${await readFile(join(dir, 'registry.log'), 'utf8').catch(() => '')}`);
  }
  return child;
}
