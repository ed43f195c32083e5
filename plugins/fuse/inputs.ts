import { defineInput, inputKinds } from 'envbox';

export const addFuse = defineInput({
  key: 'addFuse', env: 'CODER_ADD_FUSE', flag: 'add-fuse', schema: inputKinds.booleanInput, default: false, boolean: true,
  description: 'Give the workspace /dev/fuse (for sshfs, rclone mount, FUSE overlays).', example: 'true',
});
