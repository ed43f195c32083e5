import { posix } from 'node:path';
import type { ActionBody } from './actions.js';
import { EnvboxError } from './errors.js';
import type { PhaseContext } from './hooks.js';
import type { HostView } from './host-view.js';
import { defineInput } from './inputs/define.js';
import { absolutePathInput } from './inputs/input-kinds.js';

/**
 * Extra CAs for the registries dockerd pulls from, shared by every plugin that talks to one (the
 * image's registry, registry mirrors) and by coder-logs, which trusts them for CODER_AGENT_URL.
 * A plugin that reads it lists it in its `inputs`; it is gone only when all of them are disabled.
 */
export const extraCertsPath = defineInput({
  key: 'extraCertsPath', env: 'CODER_EXTRA_CERTS_PATH', flag: 'extra-certs-path', schema: absolutePathInput,
  description:
    'A CA certificate file, or a directory of certificate files, for the registry of the workspace image. '
    + "They are copied to dockerd's certs.d/<registry>/ (a file becomes ca.crt) and also trusted for CODER_AGENT_URL.",
  example: '/etc/envbox/certs',
});

/** Where dockerd reads per-registry certificates; `trustExtraCerts` writes below it. */
export const certsDir = defineInput({
  key: 'certsDir', env: 'ENVBOX_CERTS_DIR', flag: 'certs-dir', schema: absolutePathInput, default: '/etc/docker/certs.d',
  description: "Where dockerd looks for per-registry certificates (<dir>/<host[:port]>/*.crt). With ENVBOX_ROOTLESS and this default, the rootless user's ~/.config/docker/certs.d, where a rootless dockerd looks.", example: '/etc/docker/certs.d',
});

/**
 * Trusts CODER_EXTRA_CERTS_PATH for one registry host (`host[:port]`), as dockerd reads it: declares
 * the copies into `<certs.d>/<registry>/` (a file becomes ca.crt; from a directory, each file in its
 * root keeps its name). Does nothing when the input is unset, and leaves a `<registry>` directory that
 * already exists alone. Call it from `prePull` (dockerd reads certs.d at each pull, so no restart is
 * needed); the plugin must list `extraCertsPath` and `certsDir` in its `inputs`.
 */
export async function trustExtraCerts(ctx: PhaseContext, registry: string): Promise<void> {
  const source = ctx.options.get(extraCertsPath);
  if (source === undefined) return;
  const target = posix.join(daemonCertsDir(ctx), registry);
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

/** A rootless dockerd reads certs.d from its user's config dir ($HOME/.config/docker), not /etc/docker. */
function daemonCertsDir(ctx: PhaseContext): string {
  const dir = ctx.options.get(certsDir);
  if (dir !== certsDir.default) return dir;
  const { rootless } = ctx.daemon;
  return rootless ? posix.join(rootless.home, '.config/docker/certs.d') : dir;
}
