/**
 * What a test world is, apart from how it is made (world.ts): sandboxes need the shape, and world.ts
 * needs sandboxes (to push the test images), so the shape lives here and neither imports the other's module.
 */
export interface Registry {
  name: 'registry.test';
  /** host:port, as image references name it. */
  host: 'registry.test:5000';
  ip: '10.99.0.1';
  caPath: string;
  username: string;
  password: string;
}

export type ImageVariant = 'init' | 'noinit' | 'big' | 'daemonJson' | 'daemonJsonMtu';

/**
 * A second registry process on the same storage, at registry.test:5444, without auth: a Docker Hub
 * mirror. It serves the init image as the Hub image `envbox-workspace:init` (library/envbox-workspace).
 */
export interface HubMirror {
  url: 'https://registry.test:5444';
  host: 'registry.test:5444';
  /** The Docker Hub name of the image it holds. */
  hubImage: 'envbox-workspace:init';
}

export interface World {
  netns: string;
  runDir: string;
  registry: Registry;
  mirror: HubMirror;
  /**
   * Images pushed to the registry: with /sbin/init, without, with init plus 24 MiB of data, and with
   * init plus an /etc/docker/daemon.json of its own (other keys; an explicit mtu).
   */
  images: Record<ImageVariant, string>;
  /** Rootfs tarballs for `docker import`. */
  tarballs: Record<ImageVariant, string>;
  allocateSandboxIndex(): number;
  keepLogs(label: string, sandboxDir: string, extra?: Record<string, string>): Promise<void>;
}
