import { defineInput, inputKinds } from 'envbox';

const MOUNT_OPTIONS = new Set(['ro', 'rw', 'chown']);

/**
 * `src:dst[:option...]`, comma-separated; both paths absolute. Options follow the target, each after
 * a `:` (`ro`, `rw`, `chown`, in any order), because `,` already separates the mounts.
 */
const mountListInput = inputKinds.textInput((text) => {
  const mounts: inputKinds.MountSpec[] = [];
  for (const [index, item] of text.split(',').entries()) {
    const entry = item.trim();
    if (entry === '') return new inputKinds.Problem(`entry ${index + 1} is empty (remove the extra comma)`);
    if (MOUNT_OPTIONS.has(entry)) {
      return new inputKinds.Problem(`entry ${index + 1} is the option ${inputKinds.quote(entry)} on its own: options follow the target after a ":" (src:dst:ro:chown), because "," separates the mounts`);
    }
    const [source = '', target = '', ...options] = entry.split(':');
    if (target === '') return new inputKinds.Problem(`entry ${inputKinds.quote(entry)} is not src:dst, src:dst:ro or src:dst:chown`);
    if (!source.startsWith('/')) return new inputKinds.Problem(`entry ${inputKinds.quote(entry)} has a source that is not an absolute path`);
    if (!target.startsWith('/')) return new inputKinds.Problem(`entry ${inputKinds.quote(entry)} has a target that is not an absolute path`);
    const unknown = options.find((o) => !MOUNT_OPTIONS.has(o));
    if (unknown !== undefined) return new inputKinds.Problem(`entry ${inputKinds.quote(entry)} has the option ${inputKinds.quote(unknown)}; only ro, rw and chown are allowed`);
    if (options.includes('ro') && options.includes('rw')) return new inputKinds.Problem(`entry ${inputKinds.quote(entry)} is both ro and rw`);
    mounts.push({ source, target, readOnly: options.includes('ro'), ...(options.includes('chown') ? { chown: true } : {}) });
  }
  return mounts;
});

export const mounts = defineInput({
  key: 'mounts', env: 'CODER_MOUNTS', flag: 'mounts', schema: mountListInput, default: [] as inputKinds.MountSpec[],
  description:
    'Extra bind mounts for the workspace, `src:dst[:ro][:chown]`, comma-separated. Sources outside envbox\'s own dirs are made '
    + 'setgid 02755 and chowned to the workspace (a home dir source like /home/coder to its user, anything else to its root); '
    + 'a source below a system dir (/etc, /usr, /dev...) is bound untouched, and / or a system dir itself is refused. '
    + 'Targets at or below /proc or /sys, and /dev itself, are refused. '
    + '`:chown` also shifts the owners of everything inside into the workspace\'s id range, once (see "Home volumes that keep their owners").',
  example: '/home/coder:/home/coder,/etc/ssl/certs:/etc/ssl/certs:ro',
});
