import type { DockerClient } from '../../kernel/docker-client.js';

/**
 * A DockerClient whose implementation is loaded on first use. dockerode takes a quarter of a
 * second to load; this lets that happen while dockerd is already starting, not before it.
 */
export function lazyDockerClient(load: () => Promise<DockerClient>): DockerClient {
  let client: Promise<DockerClient> | undefined;
  return new Proxy({} as DockerClient, {
    get(_target, method: string | symbol) {
      if (method === 'then') return undefined;
      return async (...args: unknown[]) => {
        client ??= load();
        const real = (await client) as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
        return real[method]!(...args);
      };
    },
  });
}
