import { spawn } from 'node:child_process';

export interface TimedExit {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn to exit, in milliseconds; output is collected so a failure can say why. */
export function timeProcess(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<TimedExit> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, code, stdout, stderr }));
  });
}

/** The same, failing with the command's output when it does not exit 0. */
export async function timeOk(argv: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  const run = await timeProcess(argv, env, cwd);
  if (run.code !== 0) throw new Error(`${argv.join(' ')} exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  return run.ms;
}
