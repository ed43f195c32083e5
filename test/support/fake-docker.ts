import type { Action } from '../../core/kernel/actions.js';
import type { DaemonLauncher, DaemonSet } from '../../core/engine/daemon/managed-daemon.js';
import type { Exit } from '../../core/engine/daemon/process.js';
import type { ActionRunner } from '../../core/engine/perform-actions.js';

export { FakeDocker, type Call } from '../../testing/fake-docker.js';

export class FakeLauncher implements DaemonLauncher {
  readonly starts: string[][] = [];
  readonly envs: Record<string, string>[] = [];
  readonly sysbox: Array<Parameters<DaemonLauncher['start']>[0]['sysbox']> = [];
  readonly restarts: string[][] = [];
  stopped = 0;
  failure: Error | undefined;
  private reportExit!: (reason: string) => void;
  noSpace = false;

  /** Simulates a daemon dying on its own. */
  crash(reason: string): void {
    this.reportExit(reason);
  }

  async start(options: Parameters<DaemonLauncher['start']>[0]): Promise<DaemonSet> {
    this.starts.push(options.dockerdArgv);
    this.envs.push(options.dockerdEnv);
    this.sysbox.push(options.sysbox);
    if (this.failure) throw this.failure;
    const unexpectedExit = new Promise<string>((resolve) => { this.reportExit = resolve; });
    const launcher = this;
    const exit: Exit = { code: 0, signal: null, noSpace: false };
    return {
      unexpectedExit,
      get dockerd() {
        return { noSpace: launcher.noSpace, pid: 1, isStopping: false, tail: () => '', stop: async () => exit, exited: Promise.resolve(exit), name: 'dockerd' } as never;
      },
      pids: [1],
      restartDockerd: async (argv: string[]) => { launcher.restarts.push(argv); },
      stopAll: async () => { launcher.stopped++; },
    };
  }
}

export class RecordingActions implements ActionRunner {
  readonly performed: Action[] = [];
  async run(actions: readonly Action[]) {
    this.performed.push(...actions);
  }
}
