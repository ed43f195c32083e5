import { defineInput } from '../../core/inputs/define.js';
import { booleanInput } from '../../core/inputs/kinds.js';

export const addTun = defineInput({
  key: 'addTun', env: 'CODER_ADD_TUN', flag: 'add-tun', schema: booleanInput, default: false, boolean: true,
  description: 'Give the workspace /dev/net/tun (for VPNs and Tailscale).', example: 'true',
});
