import { posix } from 'node:path';
import { type Bind, type ContainerCreateBody, type SpecContext, withBind, withDeviceNode, withEnv } from 'envbox';
import { innerLibDirFor } from './inner-lib-dir.js';
import { findGpuLibraries } from './libraries.js';
import { deviceNodesAt, findGpuMounts } from './mounts.js';
import { GPU_ENV, isInside } from './patterns.js';

interface GpuDirs {
  /** The host's /usr/lib as mounted into the outer container. */
  hostLibDir: string;
  /** Where its libraries go in the workspace. */
  innerLibDir: string;
}

/** The inner lib dir: the override when given, else the one the image's distribution uses. */
export function resolveInnerLibDir(osReleaseId: string, override: string | undefined): string {
  return override ?? innerLibDirFor(osReleaseId);
}

/** A bind from the host lib dir lands at the same relative path under the inner lib dir. */
function remapToInnerLibDir(bind: Bind, dirs: GpuDirs): Bind {
  if (!isInside(dirs.hostLibDir, bind.source)) return bind;
  return { ...bind, target: posix.join(dirs.innerLibDir, bind.source.slice(dirs.hostLibDir.length)) };
}


/** Every GPU edit of the ContainerCreate body; reads the outer container only through ctx.host. */
export async function withGpus(body: ContainerCreateBody, ctx: SpecContext, dirs: GpuDirs): Promise<ContainerCreateBody> {
  let next = body;
  const mounts = await findGpuMounts(ctx.host, await ctx.host.mounts());

  for (const path of mounts.devicePaths) {
    const nodes = await deviceNodesAt(ctx.host, path);
    if (!Array.isArray(nodes)) {
      ctx.log.warn({ path, reason: nodes.reason }, 'gpu: skipping a /dev mount that is not a device');
      continue;
    }
    // A node mapped already (by the user, or an earlier run of this plugin) stays as it is.
    for (const node of nodes) next = withDeviceNode(next, ctx.runtime, node, { ifAbsent: true });
  }

  const libraries = await findGpuLibraries(ctx.host, dirs.hostLibDir);
  for (const { path, reason } of libraries.skipped) ctx.log.warn({ path, reason }, 'gpu: skipping a driver library');
  const mounted = new Set(mounts.binds.map((b) => b.source));
  const libraryBinds: Bind[] = libraries.paths
    .filter((path) => !mounted.has(path))
    .map((path) => ({ source: path, target: path, readOnly: true }));

  // A bind already there for the same target (the user's own, or one from an earlier run of this
  // plugin) wins, which also keeps this edit idempotent.
  for (const bind of [...mounts.binds, ...libraryBinds].map((b) => remapToInnerLibDir(b, dirs))) next = withBind(next, bind, { ifAbsent: true });

  for (const [name, value] of Object.entries(ctx.host.env)) {
    if (GPU_ENV.test(name)) next = withEnv(next, name, value);
  }
  return next;
}
