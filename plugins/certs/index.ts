import { posix } from 'node:path';
import type { ActionBody } from '../../core/actions.js';
import { EnvboxError, InputError, type InputProblem } from '../../core/errors.js';
import type { PhaseContext } from '../../core/hooks.js';
import type { FileKind, FileStat, HostView } from '../../core/host/host.js';
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
      // Checked before anything starts: a wrong path is the admin's to fix (exit 2), not a failed pull.
      hooks.configure.tap(async (options, ctx) => {
        const problem = extraCertsPathProblem(options.get(extraCertsPath), await statOrNull(ctx.host, options.get(extraCertsPath)));
        if (problem !== null) throw new InputError([problem]);
        return options;
      });

      hooks.prePull.tap(async (pull, ctx) => {
        await trustExtraCerts(ctx, pull.image.registry);
        return pull;
      });
    },
  };
}

async function statOrNull(host: HostView, path: string | undefined): Promise<FileStat | null | undefined> {
  return path === undefined ? undefined : host.stat(path);
}

const KIND_NAMES: Partial<Record<FileKind, string>> = { char: 'a character device', block: 'a block device', other: 'a FIFO or a socket' };

/**
 * Why CODER_EXTRA_CERTS_PATH cannot be used, from a stat (links followed, as a Kubernetes secret
 * volume needs; stat opens nothing, so a FIFO or /dev/stdin never blocks), or null when it can.
 */
export function extraCertsPathProblem(path: string | undefined, stat: FileStat | null | undefined): InputProblem | null {
  if (path === undefined || stat === undefined) return null;
  const example = `${extraCertsPath.env}=${extraCertsPath.example} (a PEM file, or a directory of them)`;
  if (stat === null) {
    return { variable: extraCertsPath.env, problem: `"${path}" does not exist (or a directory on its way does not); mount the certificate file or directory there, or unset the variable`, example };
  }
  if (stat.kind === 'file' || stat.kind === 'dir') return null;
  return { variable: extraCertsPath.env, problem: `"${path}" is ${KIND_NAMES[stat.kind] ?? stat.kind}, not a certificate file or a directory of them`, example };
}

/**
 * Declares the copies of CODER_EXTRA_CERTS_PATH into `<certs.d>/<registry host[:port]>/`; other
 * plugins call it for the other registries dockerd talks to (registry mirrors).
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
