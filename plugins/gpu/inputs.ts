import { defineInput, inputKinds } from 'envbox';

export const addGpu = defineInput({
  key: 'addGpu', env: 'CODER_ADD_GPU', flag: 'add-gpu', schema: inputKinds.booleanInput, default: false, boolean: true,
  description: "Give the workspace the outer container's GPUs: /dev nodes, driver mounts, driver libraries and NVIDIA_* env vars.",
  example: 'true',
});

export const usrLibDir = defineInput({
  key: 'usrLibDir', env: 'CODER_USR_LIB_DIR', flag: 'usr-lib-dir', schema: inputKinds.absolutePathInput,
  description: "Where the host's /usr/lib is mounted into the envbox container; GPU driver libraries are found there. Required with CODER_ADD_GPU.",
  example: '/var/coder/usr/lib',
});

export const innerUsrLibDir = defineInput({
  key: 'innerUsrLibDir', env: 'CODER_INNER_USR_LIB_DIR', flag: 'inner-usr-lib-dir', schema: inputKinds.mountTargetInput,
  description: "Where driver libraries go in the workspace. Default: from the image's /etc/os-release (Debian/Ubuntu: /usr/lib/<multiarch>, Fedora/RHEL: /usr/lib64, else /usr/lib).",
  example: '/usr/lib/x86_64-linux-gnu',
});
