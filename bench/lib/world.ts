import { createWorld, destroyWorld, type World } from '../../integration/harness/index.js';

export const WORLD_HINT = 'run `npm run bench` as root on a machine set up with `npm run setup` (integration/world/setup.sh), '
  + 'or run only the in-process benchmark: `npm run bench -- --only spec-pipeline`';

/**
 * The test world, made once for every benchmark that needs it. A failure is remembered, so the
 * second benchmark fails with the same reason instead of trying again.
 */
export class LazyWorld {
  private pending: Promise<World> | undefined;
  private made: World | undefined;

  get(forBenchmark: string): Promise<World> {
    this.pending ??= this.create();
    return this.pending.catch((error: unknown) => {
      throw new Error(`${forBenchmark} needs root and the test world, which could not be created: ${(error as Error).message}\nHint: ${WORLD_HINT}`, { cause: error });
    });
  }

  private async create(): Promise<World> {
    if (process.getuid?.() !== 0) throw new Error(`not running as root (uid ${process.getuid?.()})`);
    this.made = await createWorld();
    return this.made;
  }

  async destroy(): Promise<void> {
    const world = this.made;
    this.made = undefined;
    if (world) await destroyWorld(world);
  }
}
