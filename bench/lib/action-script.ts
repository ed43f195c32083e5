import type { Action } from '../../core/kernel/actions.js';

/** One shell word, single-quoted. */
export const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
const q = shellQuote;

/**
 * The shell lines a person would run for envbox's declared actions, with the same skips as the
 * core's executor (an existing dir or device node is left alone). Best-effort actions may fail.
 */
export function actionScript(actions: readonly Action[]): string {
  const lines = ['set -e'];
  for (const action of actions) {
    let line: string;
    switch (action.kind) {
      case 'mkdir': line = `[ -e ${q(action.path)} ] || mkdir -p -m ${action.mode} ${q(action.path)}`; break;
      case 'chown': line = `chown ${action.uid}:${action.gid} ${q(action.path)}`; break;
      case 'chmod': line = `chmod ${action.mode} ${q(action.path)}`; break;
      case 'mknod': line = `[ -c ${q(action.path)} ] || { rm -f ${q(action.path)}; mknod -m ${action.mode} ${q(action.path)} c ${action.major} ${action.minor}; }`; break;
      case 'copyFile': line = `cp ${q(action.from)} ${q(action.to)} && chmod ${action.mode} ${q(action.to)}`; break;
      case 'writeFile': line = `printf '%s' ${q(action.content)} > ${q(action.path)}`; break;
      case 'remount': line = `! mountpoint -q ${q(action.path)} || mount -o remount,${action.options} ${q(action.path)}`; break;
      case 'unmount': line = `umount ${q(action.path)}`; break;
      case 'shiftOwners': {
        const below = Math.min(action.below, action.offset);
        const shift = (v: string) => `$((${v} < ${below} ? ${v} + ${action.offset} : ${v}))`;
        line = `find ${q(action.path)} -xdev \\( -uid -${below} -o -gid -${below} \\) -printf '%U %G %p\\n' | while read -r u g p; do chown -h ${shift('u')}:${shift('g')} "$p"; done`;
        break;
      }
    }
    lines.push(action.bestEffort ? `{ ${line}; } 2>/dev/null || true` : line);
  }
  return lines.join('\n');
}
