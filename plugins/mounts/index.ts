import { InputError } from '../../core/errors.js';
import { disableIdmappedMount, dockerDataRoot, dockerFallbackDataRoot, idOffset, rootless } from '../../core/inputs/core-inputs.js';
import { ID_RANGE_SIZE } from '../../core/shift-owners.js';
import type { MountSpec } from '../../core/inputs/kinds.js';
import type { SpecContext } from '../../core/hooks.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { resolveAsCreated } from '../../core/host/resolve-path.js';
import { withBind } from '../../core/spec/edits.js';
import { outerId, workspaceIdMapping, type IdMapping } from '../../core/rootless/identity.js';
import { keepOffDaemonDataRoot, type WorkspaceMount } from './data-root.js';
import { mounts } from './inputs.js';
import { effectiveMounts, isHomeDir, isPrivateTarget, isUntouchedSource, mountListProblems, normalizePath } from './policy.js';

/**
 * CODER_MOUNTS plus the default docker/podman storage mounts. Sources the workspace owns are
 * id-shifted on the host: under userns-remap the workspace's root is host id `idOffset` and its
 * user `idOffset + uid`; rootless, its root is the rootless user and its user `subuid start + uid - 1`.
 */
export function mountsPlugin(): EnvboxPlugin {
  return {
    name: 'mounts',
    inputs: [mounts],
    apply({ hooks }) {
      hooks.configure.tap(async (options, ctx) => {
        // Links are resolved on the host now, so that a source leading into a system dir is refused before
        // anything starts; a missing source by where its creation would land.
        const real = new Map<string, string>();
        for (const { source } of options.get(mounts) ?? []) real.set(normalizePath(source), await resolveAsCreated(ctx.host, source));
        const problems = mountListProblems(options.get(mounts), [options.get(dockerDataRoot), options.get(dockerFallbackDataRoot)], (source) => real.get(source) ?? null);
        // The recursive shift adds one offset; rootless ids map in two pieces (root, then the subordinate range).
        const chowned = (options.get(mounts) ?? []).filter((m) => m.chown);
        if (options.get(rootless) && chowned.length > 0) problems.push(`${chowned[0]!.source}:...:chown is not supported with ${rootless.env}=true (the owners would not map); leave :chown off and chown the volume to the workspace's ids (see docs/rootless.md)`);
        if (problems.length > 0) throw new InputError(problems.map((problem) => ({ variable: mounts.env, problem, example: `${mounts.env}=${mounts.example}` })));
        return options;
      });

      hooks.containerSpec.tap(async (body, ctx) => {
        let next = body;
        const mapping = await workspaceIdMapping(ctx.options, ctx.host);
        for (const mount of await keepOffDaemonDataRoot(ctx, effectiveMounts(ctx.options.get(mounts)))) {
          declareMountActions(ctx, mount, mapping, await resolveAsCreated(ctx.host, mount.source));
          next = withBind(next, { source: mount.source, target: mount.target, readOnly: mount.readOnly });
        }
        return next;
      });
    },
  };
}

function declareMountActions(ctx: SpecContext, mount: WorkspaceMount, mapping: IdMapping, real: string): void {
  // dockerd would create a missing source itself, owned by the host's root, which the workspace
  // cannot write. The executor skips a path that exists, so a file source (say /etc/hosts) is safe.
  // A link that leads below a system dir is bound untouched too, as naming that dir would be, and so
  // is a missing source whose creation would land there through a link on its way.
  if (isUntouchedSource(mount.source) || isUntouchedSource(real)) return;
  ctx.act({ kind: 'mkdir', path: mount.source, mode: '0755' });
  if (isPrivateTarget(mount.target)) return;
  // A read-only source cannot be chowned; the bind itself stays read-only in the workspace.
  if (mount.readOnly) ctx.act({ kind: 'remount', path: mount.source, options: 'rw' });
  ctx.act({ kind: 'chmod', path: mount.source, mode: '02755' });
  // Decided by the source as named: a home redirected off the daemon's data root is still the user's.
  const [innerUid, innerGid] = isHomeDir(mount.namedSource) ? [ctx.facts.uid, ctx.facts.gid] : [0, 0];
  const uid = outerId(innerUid, mapping, 'uid');
  const gid = outerId(innerGid, mapping, 'gid');
  ctx.act({ kind: 'chown', path: mount.source, uid, gid });
  if (mount.chown) declareRecursiveShift(ctx, mount);
}

/**
 * `:chown`. Under sysbox-runc with idmapped mounts the workspace sees host ids unshifted, so the
 * files are already right there, and shifting them would make them `nobody`: step aside.
 */
function declareRecursiveShift(ctx: SpecContext, mount: MountSpec): void {
  if (ctx.runtime === 'sysbox-runc' && !ctx.options.get(disableIdmappedMount)) {
    ctx.buildLog.info(`${mounts.env}: not shifting owners under ${mount.source} (:chown): sysbox-runc maps its ids with idmapped mounts, so its files keep their owners in the workspace (with ${disableIdmappedMount.env}=true they would be shifted)`);
    return;
  }
  ctx.act({ kind: 'shiftOwners', path: mount.source, offset: ctx.options.get(idOffset), below: ID_RANGE_SIZE });
}
