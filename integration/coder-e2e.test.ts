// Coder's startup logs end to end, through the real CLI as the image ships it (the esbuild bundle, where undici
// loads from a split chunk at the first request): the build log reaches a coderd
// stand-in (TLS, self-signed CA, 401s first), a failure leaves its paragraph in the build log, the
// termination log and the status file, and a coderd that is down or untrusted never fails or stalls the start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createWorld, destroyWorld, EnvboxRun, listProcesses, repoRoot, run, Sandbox, waitUntil, type BuildLogLine, type World } from './harness/index.js';
import { buildBundle } from './harness/bundle.js';
import { startStandInInSandbox } from './harness/coderd-in-sandbox.js';
import { SANDBOX_PATH } from './harness/sandbox.js';
import { assertInOrder, assertNoSecrets, assertNothingLeft, installCa, pullSecret } from './harness/scenario.js';
import { startCoderdStandIn, type CoderdStandIn, type ReceivedLog } from './coderd/standin.js';
import { makeTestCa, type TestCa } from './coderd/tls.js';

const MAIN = join(repoRoot, 'dist', 'coder-e2e-bundle', 'main.js');

before(async () => {
  await buildBundle(dirname(MAIN));
});
/** What envbox gives coderd at exit (LOG_FLUSH_MS in core/engine/lifecycle/shutdown-budget.ts). */
const LOG_CLOSE_BOUND_MS = 5_000;
/** Node's start, the failure itself and a busy CI machine; the bound under test is the close timeout. */
const MARGIN_MS = 4_000;
const SYSBOX_FAILURE = /sysbox-mgr[\s\S]*ENVBOX_RUNTIME=runc|ENVBOX_RUNTIME=runc[\s\S]*sysbox-mgr/;

/** A long random token: a search for it cannot match by chance. */
function agentToken(): string {
  return `coder-agent-token-${randomBytes(24).toString('hex')}`;
}

/** The lines that coderd should hold: every build-log line but an empty `done`, up to the last (`stopped in ...` on SIGTERM). */
function expectedCoderdLines(lines: BuildLogLine[]): Array<{ output: string; level: string }> {
  return lines.filter((l) => !(l.type === 'done' && l.output === '')).map((l) => ({ output: l.output, level: l.type === 'error' ? 'error' : 'info' }));
}

function assertDeliveredInOrder(received: ReceivedLog[], sources: Record<string, { display_name: string }>, lines: BuildLogLine[], tail: string): void {
  const envboxSource = Object.entries(sources).filter(([, s]) => s.display_name === 'envbox').map(([id]) => id);
  assert.equal(envboxSource.length, 1, `one log source named "envbox" was registered: ${JSON.stringify(sources)}`);
  assert.deepEqual(received.map((l) => ({ output: l.output, level: l.level })), expectedCoderdLines(lines),
    `coderd holds every build-log line, in order\n${tail}`);
  assert.ok(received.every((l) => l.log_source_id === envboxSource[0]), 'every line is filed under the envbox source');
}

/** A loopback port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A pid and its descendants (tsx runs an esbuild service under the stand-in). */
async function processTree(pid: number): Promise<number[]> {
  const all = await listProcesses();
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  return [...tree];
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** `envbox status ...` from the host; the status file is read directly. */
async function envboxStatus(args: string[], env: Record<string, string> = {}) {
  return run([process.execPath, MAIN, 'status', ...args], { env: { PATH: SANDBOX_PATH, ...env }, timeoutMs: 30_000 });
}

describe('coderd end to end: a failing start on the host network (no sandbox)', () => {
  let dir: string;
  let ca: TestCa;
  const runs: EnvboxRun[] = [];

  before(async () => {
    // The failure these scenarios rely on: ENVBOX_RUNTIME=sysbox-runc with no sysbox on this machine.
    const sysbox = await run(['sh', '-c', 'command -v sysbox-mgr || command -v sysbox-fs'], { env: { PATH: SANDBOX_PATH } });
    assert.notEqual(sysbox.exitCode, 0, `sysbox is installed here (${sysbox.stdout.trim()}); these scenarios need it absent so envbox fails before dockerd`);
    dir = await mkdtemp(join(tmpdir(), 'envbox-coder-e2e-'));
    ca = makeTestCa(await mkdtemp(join(dir, 'pki-')));
  });

  after(async () => {
    for (const r of runs) r.kill();
    if (dir && !process.env.ENVBOX_IT_KEEP) await rm(dir, { recursive: true, force: true });
  });

  /**
   * `envbox docker` with every path in a fresh temp dir. It fails at daemon start (sysbox-mgr
   * missing), before dockerd, so the host's /var/lib/docker and /etc/docker are never reached;
   * the paths are redirected anyway, and the test checks that no dockerd pidfile appeared.
   */
  async function startFailingEnvbox(label: string, coder: Record<string, string>) {
    const root = await mkdtemp(join(dir, `${label}-`));
    const p = {
      root,
      statusFile: join(root, 'status', 'status.json'),
      terminationLog: join(root, 'termination-log'),
      oomScoreFile: join(root, 'oom_score_adj'),
      pidfile: join(root, 'docker.pid'),
      dataRoot: join(root, 'data'),
      execRoot: join(root, 'exec'),
      socket: join(root, 'docker.sock'),
      certsDir: join(root, 'certs.d'),
    };
    await writeFile(p.oomScoreFile, '0\n');
    await mkdir(join(root, 'home'));
    const env: Record<string, string> = {
      PATH: SANDBOX_PATH,
      HOME: join(root, 'home'),
      CODER_INNER_IMAGE: 'registry.test:5000/workspace:init',
      CODER_INNER_USERNAME: 'coder',
      CODER_DEBUG: 'true',
      ENVBOX_RUNTIME: 'sysbox-runc',
      ENVBOX_STATUS_FILE: p.statusFile,
      ENVBOX_TERMINATION_LOG: p.terminationLog,
      ENVBOX_OOM_SCORE_FILE: p.oomScoreFile,
      ENVBOX_DEVICE_DIR: join(root, 'devices'),
      ENVBOX_DOCKER_SOCKET: p.socket,
      ENVBOX_DOCKER_DATA_ROOT: p.dataRoot,
      ENVBOX_DOCKER_FALLBACK_DATA_ROOT: join(root, 'data.bak'),
      ENVBOX_DOCKER_EXEC_ROOT: p.execRoot,
      ENVBOX_DOCKER_PIDFILE: p.pidfile,
      ENVBOX_DOCKERD_LOG: join(root, 'dockerd.log'),
      ENVBOX_CERTS_DIR: p.certsDir,
      CODER_DOCKER_CONFIG: join(root, 'docker-config.json'),
      ...coder,
    };
    const startedAt = Date.now();
    const child = spawn(process.execPath, [MAIN, 'docker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const envbox = new EnvboxRun(child, join(root, 'dockerd.log'), `envbox docker (${label})`);
    runs.push(envbox);
    return { envbox, paths: p, startedAt };
  }

  /** What every failing run must show: exit 1, the sysbox paragraph last, no dockerd, no done. */
  async function assertSysboxFailure(envbox: EnvboxRun, p: { pidfile: string; dataRoot: string; execRoot: string; socket: string; oomScoreFile: string }) {
    const status = await envbox.waitForExit(60_000);
    assert.deepEqual(status, { code: 1, signal: null }, `exit status\n${envbox.tail()}`);
    const last = envbox.buildLog().at(-1);
    assert.equal(last?.type, 'error', `the last build-log line is the error\n${envbox.tail()}`);
    assert.match(last.output, SYSBOX_FAILURE, 'the error names sysbox-mgr and the way out');
    assert.doesNotMatch(last.output, /certificate|x509|TLS/i, 'the failure is sysbox\'s, not coderd\'s');
    assert.equal(envbox.buildLog().filter((l) => l.type === 'error').length, 1, 'one error line');
    assert.equal(envbox.buildLog().some((l) => l.type === 'done'), false, 'a failed run logs no done');
    for (const path of [p.pidfile, p.dataRoot, p.execRoot, p.socket]) {
      assert.equal(await exists(path), false, `${path} exists: dockerd (or envbox for it) touched it`);
    }
    assert.equal((await readFile(p.oomScoreFile, 'utf8')).trim(), '-1000', 'the OOM score went to the redirected file');
    return last;
  }

  test('the failure reaches coderd through 401s, the termination log and the status file; the token nowhere', { timeout: 90_000 }, async (t) => {
    const token = agentToken();
    const coderd: CoderdStandIn = await startCoderdStandIn({ token, cert: ca.cert, key: ca.key, unauthorizedFirst: 2 });
    try {
      const { envbox, paths: p, startedAt } = await startFailingEnvbox('delivered', {
        CODER_AGENT_URL: coderd.url,
        CODER_AGENT_TOKEN: token,
        CODER_EXTRA_CERTS_PATH: ca.caPath,
      });
      const errorLine = await assertSysboxFailure(envbox, p);
      t.diagnostic(`failing start with coderd up (2 x 401 first): exit after ${Date.now() - startedAt} ms`);

      const termination = await readFile(p.terminationLog, 'utf8');
      assert.equal(termination.trim(), errorLine.output, 'the termination log holds the error line\'s paragraph');
      assert.equal(termination.trim().includes('\n'), false, 'one paragraph');

      const statusText = await readFile(p.statusFile, 'utf8');
      const statusDoc = JSON.parse(statusText) as { phase: string; lastError: string | null };
      assert.equal(statusDoc.phase, 'failed');
      assert.equal(statusDoc.lastError, errorLine.output);
      const human = await envboxStatus(['--file', p.statusFile]);
      assert.equal(human.exitCode, 1, `envbox status exits 1 when failed: ${human.stdout}${human.stderr}`);
      assert.match(human.stdout, /^envbox: failed/);
      assert.match(human.stdout, /sysbox-mgr/);
      const json = await envboxStatus(['--json', '--file', p.statusFile]);
      assert.equal(json.exitCode, 1);
      assert.deepEqual(JSON.parse(json.stdout), JSON.parse(statusText), '--json prints the status file');

      assert.deepEqual(coderd.requests.slice(0, 2).map((r) => r.status), [401, 401], `coderd refused the first two requests: ${JSON.stringify(coderd.requests)}`);
      assert.ok(coderd.requests.slice(2).every((r) => r.status === 200 || r.status === 201), `then accepted all: ${JSON.stringify(coderd.requests)}`);
      assertDeliveredInOrder(coderd.received, Object.fromEntries(coderd.sources), envbox.buildLog(), envbox.tail());
      assert.equal(coderd.received.at(-1)?.level, 'error');
      assert.ok(envbox.debugLines().length > 0, 'CODER_DEBUG=true printed pino lines (they are searched for the token too)');

      await assertNoSecrets(envbox, [token], `${termination}\n${statusText}`);
    } finally {
      await coderd.close();
    }
  });

  test('coderd down: envbox still exits 1 with the same error, within the log-close bound', { timeout: 90_000 }, async (t) => {
    const token = agentToken();
    const { envbox, paths: p, startedAt } = await startFailingEnvbox('down', {
      CODER_AGENT_URL: `https://127.0.0.1:${await closedPort()}`,
      CODER_AGENT_TOKEN: token,
      CODER_EXTRA_CERTS_PATH: ca.caPath,
    });
    const errorLine = await assertSysboxFailure(envbox, p);
    const exitedAt = Date.now();
    const afterErrorMs = exitedAt - Date.parse(errorLine.time);
    t.diagnostic(`coderd down (refused): exit ${exitedAt - startedAt} ms after spawn, ${afterErrorMs} ms after the error line (bound ${LOG_CLOSE_BOUND_MS} + ${MARGIN_MS})`);
    assert.ok(afterErrorMs <= LOG_CLOSE_BOUND_MS + MARGIN_MS, `envbox spent ${afterErrorMs} ms on coderd after the error`);
    assert.ok(exitedAt - startedAt <= LOG_CLOSE_BOUND_MS + 2 * MARGIN_MS, `envbox took ${exitedAt - startedAt} ms in all`);
    assert.equal((await readFile(p.terminationLog, 'utf8')).trim(), errorLine.output);
    await assertNoSecrets(envbox, [token]);
  });

  test('coderd with a self-signed CA and no CODER_EXTRA_CERTS_PATH: nothing delivered, the sysbox error stands', { timeout: 90_000 }, async (t) => {
    const token = agentToken();
    const coderd = await startCoderdStandIn({ token, cert: ca.cert, key: ca.key });
    try {
      const { envbox, paths: p, startedAt } = await startFailingEnvbox('untrusted', {
        CODER_AGENT_URL: coderd.url,
        CODER_AGENT_TOKEN: token,
      });
      await assertSysboxFailure(envbox, p);
      t.diagnostic(`coderd untrusted: exit ${Date.now() - startedAt} ms after spawn`);
      assert.deepEqual(coderd.requests, [], 'no request got past the TLS handshake');
      assert.deepEqual(coderd.received, []);
      const warnings = envbox.debugLines().filter((l) => l.level === 40 || l.level === 'warn').map((l) => String(l.msg));
      assert.ok(warnings.some((m) => m.includes('CODER_EXTRA_CERTS_PATH')), `a warning points to CODER_EXTRA_CERTS_PATH: ${JSON.stringify(warnings)}`);
      await assertNoSecrets(envbox, [token]);
    } finally {
      await coderd.close();
    }
  });
});

describe('coderd end to end: a workspace that comes up in a sandbox', () => {
  let world: World;
  before(async () => { world = await createWorld(); });
  after(async () => { if (world) await destroyWorld(world); });

  /** The stand-in as its own process in the sandbox's network namespace (its 127.0.0.1 is the sandbox's). */
  test('every line, the done summary and the bootstrap\'s line reach coderd in order; ready; SIGTERM leaves nothing', { timeout: 180_000 }, async (t) => {
    const sandbox = await Sandbox.create(world, 'coder-e2e-ready');
    let envbox: EnvboxRun | undefined;
    let coderd: Awaited<ReturnType<typeof startStandInInSandbox>> | undefined;
    try {
      const token = agentToken();
      const marker = `bootstrap-says-${randomBytes(6).toString('hex')}`;
      coderd = await startStandInInSandbox(sandbox, token, { unauthorizedFirst: 2 });
      // One directory for both CAs: dockerd gets the registry's (certs.d), the log sink trusts both.
      const certs = await installCa(sandbox, 'dir');
      await copyFile(coderd.ca.caPath, join(sandbox.paths.varLib, 'envbox-certs', 'coderd-ca.crt'));
      envbox = await sandbox.startEnvbox(sandbox.envboxEnv({
        CODER_INNER_IMAGE: world.images.init,
        CODER_IMAGE_PULL_SECRET: pullSecret(world),
        CODER_EXTRA_CERTS_PATH: certs,
        CODER_AGENT_URL: coderd.url,
        CODER_AGENT_TOKEN: token,
        CODER_DEBUG: 'true',
        CODER_BOOTSTRAP_SCRIPT: [
          `echo "${marker}"`,
          'trap \'exit 0\' TERM',
          'while :; do sleep 1 & wait $!; done',
        ].join('\n'),
      }), ['docker'], [], { main: MAIN });
      const done = await envbox.waitForDone(120_000);
      assert.match(done.output, /^ready in \d+(\.\d+)? s/, 'the done line carries the summary');
      await envbox.waitForOutput(new RegExp(marker), 30_000);

      // The summary and the bootstrap's line reach coderd (batched about once a second; 401s first).
      const arrived = await waitUntil(async () => {
        const outputs = (await coderd!.snapshot())?.received.map((l) => l.output) ?? [];
        return outputs.includes(done.output) && outputs.includes(marker);
      }, 30_000, 100);
      const seen = (await coderd.snapshot())!;
      assert.ok(arrived, `coderd got the done summary and the bootstrap line: ${JSON.stringify(seen.received.map((l) => l.output))}\n${envbox.tail()}`);
      const atReady = seen.received.map((l) => l.output);
      assertInOrder(atReady, [/^Waiting for dockerd/, /^Pulling image /, /^Pulled image /, /^Creating workspace/, /^Bootstrapping workspace/, new RegExp(`^${marker}$`)]);
      assertInOrder(atReady, [/Envbox startup complete/, /^ready in /]);
      assert.deepEqual(seen.requests.slice(0, 2).map((r) => r.status), [401, 401], 'the first two requests were refused');

      // dockerd runs with envbox's env, but not with its secrets (the agent token, the pull secret).
      const dockerdPid = Number((await readFile(sandbox.paths.pidfile, 'utf8')).trim());
      const dockerdEnv = (await readFile(`/proc/${dockerdPid}/environ`, 'utf8')).split('\0').map((kv) => kv.split('=')[0]);
      assert.ok(dockerdEnv.includes('PATH'), `dockerd's env: ${dockerdEnv.join(' ')}`);
      assert.ok(!dockerdEnv.includes('CODER_AGENT_TOKEN') && !dockerdEnv.includes('CODER_IMAGE_PULL_SECRET'), `dockerd inherited a secret: ${dockerdEnv.join(' ')}`);

      const status = await envboxStatus([], { ENVBOX_STATUS_FILE: sandbox.paths.statusFile });
      assert.equal(status.exitCode, 0, `envbox status exits 0 when ready: ${status.stdout}${status.stderr}`);
      assert.match(status.stdout, /^envbox: ready/);
      t.diagnostic(`ready: ${done.output}`);

      const stopAt = Date.now();
      const exit = await envbox.stop(60_000);
      t.diagnostic(`SIGTERM to exit, with the last lines flushed to coderd: ${Date.now() - stopAt} ms`);
      assert.deepEqual(exit, { code: 0, signal: null }, `envbox should exit 0 on SIGTERM\n${envbox.tail()}`);
      await assertNothingLeft(sandbox, await processTree(coderd.child.pid!));

      await sandbox.stopChild(coderd.child, 10_000);
      const final = (await coderd.snapshot())!;
      assertDeliveredInOrder(final.received, final.sources, envbox.buildLog(), envbox.tail());
      assert.ok(final.received.some((l) => /Received SIGTERM/.test(l.output)), 'the shutdown lines were flushed to coderd at exit');
      const last = envbox.buildLog().at(-1)?.output ?? '';
      assert.match(last, /^stopped in \d+\.\d+ s: /, 'the pod log ends with the stop summary');
      assert.equal(final.received.at(-1)?.output, last, 'and so does coderd: the stop summary, written after the shutdown hooks, arrives last');
      await assertNothingLeft(sandbox);
      await assertNoSecrets(envbox, [token, world.registry.password]);
    } finally {
      envbox?.kill();
      if (coderd && coderd.child.exitCode === null && coderd.child.signalCode === null) coderd.child.kill('SIGKILL');
      await sandbox.destroy();
    }
  });
});
