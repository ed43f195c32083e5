import './zod-config.js';
import * as z from 'zod';

/**
 * Side effects are data. Plugins declare them while their hooks run; the core performs them in
 * declaration order (`envbox docker`) or prints them (`envbox plan`), so the two cannot disagree.
 * Modes are octal strings ("02755") because that is how people read and write them.
 */
const path = z.string().regex(/^\//, 'must be an absolute path');
const mode = z.string().regex(/^0[0-7]{3,4}$/, 'must be an octal mode string such as "0755"');
const id = z.number().int().min(0).max(2 ** 32 - 1);
const deviceNumber = z.number().int().min(0).max(2 ** 20 - 1);
const bestEffort = { bestEffort: z.boolean().optional() };

/** What a plugin may pass to `act`: checked when it is declared, so a wrong shape never reaches plan or docker. */
const actionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mknod'), path, major: deviceNumber, minor: deviceNumber, mode, ...bestEffort }),
  z.strictObject({ kind: z.literal('chown'), path, uid: id, gid: id, ...bestEffort }),
  z.strictObject({ kind: z.literal('chmod'), path, mode, ...bestEffort }),
  z.strictObject({ kind: z.literal('mkdir'), path, mode, ...bestEffort }),
  z.strictObject({ kind: z.literal('remount'), path, options: z.string().regex(/^[a-z0-9_,=-]+$/, 'must be mount options such as "rw"'), ...bestEffort }),
  z.strictObject({ kind: z.literal('unmount'), path, ...bestEffort }),
  z.strictObject({ kind: z.literal('copyFile'), from: path, to: path, mode, ...bestEffort }),
  z.strictObject({ kind: z.literal('writeFile'), path, content: z.string(), ...bestEffort }),
  /** Recursively: ids below `below` move up by `offset` (see core/engine/shift-owners.ts); skipped when a marker proves it done. */
  z.strictObject({ kind: z.literal('shiftOwners'), path, offset: id.min(1), below: id.min(1), ...bestEffort }),
]);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One side effect, as `actionSchema` checks it. */
export type ActionBody = DistributiveOmit<z.infer<typeof actionSchema>, 'bestEffort'>;

export type Action = ActionBody & {
  /** The plugin that declared it. */
  plugin: string;
  /** The hook it was declared in; the core performs it when that hook has run. */
  hook: string;
  /** A failure is logged as a warning instead of stopping envbox. */
  bestEffort?: boolean;
};

export interface ActionSink {
  act(action: z.input<typeof actionSchema>): void;
}

/** "kind: expected one of ...; path: must be an absolute path", without quoting the values. */
export function actionProblem(action: unknown): string | null {
  const parsed = actionSchema.safeParse(action);
  if (parsed.success) return null;
  return parsed.error.issues.map((i) => `${i.path.join('.') || 'action'}: ${i.message}`).join('; ');
}

export function describeAction(action: ActionBody): string {
  switch (action.kind) {
    case 'mknod': return `mknod ${action.path} c ${action.major} ${action.minor} (mode ${action.mode})`;
    case 'chown': return `chown ${action.uid}:${action.gid} ${action.path}`;
    case 'chmod': return `chmod ${action.mode} ${action.path}`;
    case 'mkdir': return `mkdir -p -m ${action.mode} ${action.path}`;
    case 'remount': return `mount -o remount,${action.options} ${action.path}`;
    case 'unmount': return `umount ${action.path}`;
    case 'copyFile': return `copy ${action.from} to ${action.to} (mode ${action.mode})`;
    case 'writeFile': return `write ${JSON.stringify(action.content)} to ${action.path}`;
    case 'shiftOwners': return `shift owners below ${action.below} by +${action.offset} in ${action.path}, recursively (symlinks not followed, one filesystem)`;
  }
}
