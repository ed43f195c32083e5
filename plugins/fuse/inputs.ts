import { defineInput } from '../../core/inputs/define.js';
import { booleanInput } from '../../core/inputs/kinds.js';

export const addFuse = defineInput({
  key: 'addFuse', env: 'CODER_ADD_FUSE', flag: 'add-fuse', schema: booleanInput, default: false, boolean: true,
  description: 'Give the workspace /dev/fuse (for sshfs, rclone mount, FUSE overlays).', example: 'true',
});
