import { defineInput, inputKinds } from 'envbox';

export const addTun = defineInput({
  key: 'addTun', env: 'CODER_ADD_TUN', flag: 'add-tun', schema: inputKinds.booleanInput, default: false, boolean: true,
  description: 'Give the workspace /dev/net/tun (for VPNs and Tailscale).', example: 'true',
});
