// `npm run demo` (through integration/demo.sh): envbox's main job, end to end, in a sandbox.
// Starts the test world (a TLS registry holding the demo image), then `envbox docker` with its own
// managed dockerd, shows the build log, prints how to get a shell, and stops cleanly on Ctrl-C.
import { createWorld, destroyWorld, type World } from './world.js';
import { Sandbox } from './sandbox.js';
import type { EnvboxRun, BuildLogLine } from './envbox.js';
import { installCa, pullSecret } from './scenario.js';

const tty = process.stdout.isTTY === true;
const paint = (code: string, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = (t: string) => paint('2', t);
const bold = (t: string) => paint('1', t);
const say = (text: string) => process.stdout.write(`${text}\n`);

function formatLine(line: BuildLogLine | { raw: string }): string {
  if ('raw' in line) return dim(`           | ${line.raw}`);
  const time = new Date(line.time).toISOString().slice(11, 23);
  const level = line.type === 'error' ? paint('31;1', 'ERROR') : line.type === 'done' ? paint('32;1', 'READY') : paint('36', 'info ');
  return `${dim(time)} ${level} ${line.output}`;
}

async function main(): Promise<number> {
  const started = Date.now();
  say(bold('envbox demo: a workspace image run by envbox with its own dockerd, in a sandbox'));
  say(dim('Setting up the test world (network namespace, TLS registry with the demo image)...'));
  let world: World | undefined;
  let sandbox: Sandbox | undefined;
  let run: EnvboxRun | undefined;
  let stopping = false;
  let exitCode = 0;

  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        say(dim(`(${sig} again: killing envbox)`));
        run?.kill();
        return;
      }
      stopping = true;
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    world = await createWorld();
    sandbox = await Sandbox.create(world, 'demo');
    const env = sandbox.envboxEnv({
      CODER_INNER_IMAGE: world.images.init,
      CODER_EXTRA_CERTS_PATH: await installCa(sandbox, 'file'),
      CODER_IMAGE_PULL_SECRET: pullSecret(world),
      CODER_MOUNTS: '/home/coder:/home/coder',
      CODER_INNER_HOSTNAME: 'envbox-demo',
      CODER_ADD_TUN: 'true',
      CODER_ADD_FUSE: 'true',
      CODER_CPUS: '1',
      CODER_MEMORY: '1073741824',
      CODER_BOOTSTRAP_SCRIPT: 'echo "Hello from $(hostname) as $(id -un)"\nwhile :; do sleep 3600 & wait $!; done',
    });
    say(dim(`World ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Starting: envbox docker (ENVBOX_RUNTIME=runc, image ${world.images.init})`));
    say('');
    const envboxStart = Date.now();
    run = await sandbox.startEnvbox(env, ['docker'], [], { detached: true });
    run.subscribe((line) => say(formatLine(line)));

    const ready = await Promise.race([
      run.waitForDone(180_000).then(() => 'ready' as const, (e: Error) => e),
      stopRequested.then(() => 'stop' as const),
    ]);
    if (ready instanceof Error) {
      say('');
      say(paint('31;1', 'envbox did not get the workspace ready:'));
      say(ready.message.split('\n')[0] ?? '');
      exitCode = 1;
    } else if (ready === 'ready') {
      // Let the greeting from the bootstrap script arrive before the instructions.
      await run.waitForOutput(/^Hello from /, 5_000).catch(() => undefined);
      const docker = `docker -H unix://${sandbox.paths.socket}`;
      say('');
      say(bold(`The workspace is up (${((Date.now() - envboxStart) / 1000).toFixed(1)} s after envbox started).`));
      say('Get a shell in it, from another terminal on this machine:');
      say(`  ${bold(`${docker} exec -it -u coder workspace_cvm sh`)}`);
      say(dim(`  (as root inside: ${docker} exec -it workspace_cvm sh; the workspace's /home/coder is ${sandbox.paths.home}/coder here)`));
      say(dim(`  envbox's status: ${sandbox.paths.statusFile}; dockerd's log: ${sandbox.paths.dockerdLog}`));
      if (process.env.DEMO_EXIT_AFTER_READY === '1') {
        say(dim('DEMO_EXIT_AFTER_READY=1: stopping now.'));
      } else {
        say(`Press ${bold('Ctrl-C')} to stop it (envbox gets SIGTERM and shuts the workspace down).`);
        await Promise.race([stopRequested, run.exited]);
        if (!run.running) {
          say(paint('31;1', 'envbox stopped by itself; see the error above.'));
          exitCode = 1;
        }
      }
    }
  } catch (error) {
    say(paint('31;1', `demo failed: ${(error as Error).message}`));
    exitCode = 1;
  } finally {
    stopping = true;
    if (run?.running) {
      say('');
      say(dim('Sending SIGTERM to envbox...'));
      run.signal('SIGTERM');
      const status = await run.waitForExit(120_000).catch((e: Error) => { say(e.message); run?.kill(); return null; });
      say(dim(`envbox exited with ${status ? `code ${status.code}` : 'a timeout'}.`));
      if (status?.code !== 0) exitCode = 1;
    }
    say(dim('Cleaning up (processes, network namespaces, temp dirs)...'));
    if (sandbox) await sandbox.destroy().catch((e: Error) => { say(paint('31;1', e.message)); exitCode = 1; });
    if (world) await destroyWorld(world).catch((e: Error) => { say(paint('31;1', e.message)); exitCode = 1; });
    say(exitCode === 0 ? 'Done.' : 'Done, with errors (see above).');
  }
  return exitCode;
}

process.exitCode = await main();
