import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`envbox plan|docker ...`) from source, with exactly this env (plus PATH), in
 * `cwd`. The hostile suite judges envbox by what it writes, so every byte of both streams is kept.
 */
export function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // envbox-source: a built-in's `import 'envbox'` must reach these same sources, not a dist/ build (absent, or
    // a second copy of the core whose InputError the hook facade would not recognise).
    const child = spawn(process.execPath, ['--conditions=envbox-source', '--import', import.meta.resolve('tsx'), MAIN, ...args], {
      cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const made: string[] = [];

/** A project folder of its own (package.json stops the config search there) with these files. */
export async function projectDir(files: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envbox-hostile-'));
  made.push(root);
  for (const [path, content] of Object.entries({ 'package.json': '{ "name": "site" }', ...files })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

export async function removeProjects(): Promise<void> {
  await Promise.all(made.splice(0).map((root) => rm(root, { recursive: true, force: true })));
}

export const FACTS = '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}';

/** The inputs every `plan` run needs, with image facts so that no daemon is asked. */
export function planEnv(root: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    CODER_INNER_IMAGE: 'registry.test:5000/workspace:init', CODER_INNER_USERNAME: 'coder', ENVBOX_IMAGE_FACTS: FACTS,
    ENVBOX_RUNTIME: 'runc', ENVBOX_DOCKER_HOST: 'unix:///nonexistent/docker.sock', ENVBOX_CGROUP_ROOT: join(root, 'no-cgroup'),
    ENVBOX_STATUS_FILE: join(root, 'status.json'), ENVBOX_TERMINATION_LOG: join(root, 'termination-log'),
    CODER_DOCKER_CONFIG: join(root, 'no-docker-config.json'),
    ...more,
  };
}
