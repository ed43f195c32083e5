import { posix } from 'node:path';
import type { ActionBody } from '../../core/actions.js';
import { EnvboxError } from '../../core/errors.js';
import type { PhaseContext } from '../../core/hooks.js';
import type { HostView } from '../../core/host/host.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { certsDir, extraCertsPath } from './inputs.js';

/**
 * CODER_EXTRA_CERTS_PATH: trust extra CAs for the image's registry by copying them into
 * dockerd's certs.d/<registry>/ before the pull. dockerd reads that directory at each pull,
 * so no restart is needed.
 */
export function certsPlugin(): EnvboxPlugin {
  return {
    name: 'certs',
    inputs: [extraCertsPath, certsDir],
    apply({ hooks }) {
      hooks.prePull.tap(async (pull, ctx) => {
        await trustExtraCerts(ctx, pull.image.registry);
        return pull;
      });
    },
  };
}

/**
 * Declares the copies of CODER_EXTRA_CERTS_PATH into `<certs.d>/<registry host[:port]>/`; other
 * plugins call it for the other registries dockerd talks to (registry mirrors).
 */
export async function trustExtraCerts(ctx: PhaseContext, registry: string): Promise<void> {
  const source = ctx.options.get(extraCertsPath);
  if (source === undefined) return;
  const target = posix.join(ctx.options.get(certsDir), registry);
  if ((await ctx.host.stat(target)) !== null) {
    // Someone baked certificates into the image or mounted them there: theirs win.
    ctx.buildLog.info(`Not copying certificates from "${source}": "${target}" already exists, so it is used as it is`);
    return;
  }
  const copies = await certificateCopies(ctx.host, source, target);
  if (copies.length === 0) ctx.log.warn({ source }, `${extraCertsPath.env} holds no files; the registry gets no extra certificates`);
  ctx.buildLog.info(`Copying certificates from "${source}" to "${target}"`);
  ctx.act({ kind: 'mkdir', path: target, mode: '0755' });
  for (const copy of copies) ctx.act(copy);
}

/** A file becomes ca.crt; from a directory, each file in its root keeps its name (subdirectories are skipped). */
async function certificateCopies(host: HostView, source: string, target: string): Promise<ActionBody[]> {
  const stat = await host.stat(source);
  if (stat === null) {
    throw new EnvboxError(`${extraCertsPath.env}: "${source}" does not exist`, 'mount the certificate file or directory there, or unset the variable');
  }
  if (stat.kind === 'file') return [{ kind: 'copyFile', from: source, to: posix.join(target, 'ca.crt'), mode: '0644' }];
  if (stat.kind !== 'dir') throw new EnvboxError(`${extraCertsPath.env}: "${source}" is neither a file nor a directory`);
  const copies: ActionBody[] = [];
  for (const name of await host.readdir(source)) {
    const from = posix.join(source, name);
    // stat, not lstat: a Kubernetes secret volume holds its files as symlinks into a ..data directory.
    if ((await host.stat(from))?.kind !== 'file') continue;
    copies.push({ kind: 'copyFile', from, to: posix.join(target, name), mode: '0644' });
  }
  return copies;
}
