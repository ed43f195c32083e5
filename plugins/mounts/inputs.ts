import { defineInput } from '../../core/inputs/define.js';
import { mountListInput, type MountSpec } from '../../core/inputs/kinds.js';

export const mounts = defineInput({
  key: 'mounts', env: 'CODER_MOUNTS', flag: 'mounts', schema: mountListInput, default: [] as MountSpec[],
  description:
    'Extra bind mounts for the workspace, `src:dst[:ro][:chown]`, comma-separated. Sources outside envbox\'s own dirs are made '
    + 'setgid 02755 and chowned to the workspace (a home dir source like /home/coder to its user, anything else to its root); '
    + 'a source below a system dir (/etc, /usr, /dev...) is bound untouched, and / or a system dir itself is refused. '
    + 'Targets at or below /proc or /sys, and /dev itself, are refused. '
    + '`:chown` also shifts the owners of everything inside into the workspace\'s id range, once (see "Home volumes that keep their owners").',
  example: '/home/coder:/home/coder,/etc/ssl/certs:/etc/ssl/certs:ro',
});
