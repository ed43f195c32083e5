/**
 * Side effects are data. Plugins declare them while their hooks run; the core performs them in
 * declaration order (`envbox docker`) or prints them (`envbox plan`), so the two cannot disagree.
 * Modes are octal strings ("02755") because that is how people read and write them.
 */
export type ActionBody =
  | { kind: 'mknod'; path: string; major: number; minor: number; mode: string }
  | { kind: 'chown'; path: string; uid: number; gid: number }
  | { kind: 'chmod'; path: string; mode: string }
  | { kind: 'mkdir'; path: string; mode: string }
  | { kind: 'remount'; path: string; options: string }
  | { kind: 'unmount'; path: string }
  | { kind: 'copyFile'; from: string; to: string; mode: string }
  | { kind: 'writeFile'; path: string; content: string }
  /** Recursively: ids below `below` move up by `offset` (see core/shift-owners.ts); skipped when a marker proves it done. */
  | { kind: 'shiftOwners'; path: string; offset: number; below: number };

export type Action = ActionBody & {
  /** The plugin that declared it. */
  plugin: string;
  /** The hook it was declared in; the core performs it when that hook has run. */
  hook: string;
  /** A failure is logged as a warning instead of stopping envbox. */
  bestEffort?: boolean;
};

export interface ActionSink {
  act(action: ActionBody & { bestEffort?: boolean }): void;
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
