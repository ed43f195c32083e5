import { defineInput } from '../../core/inputs/define.js';
import { absolutePathInput, hostnameInput } from '../../core/inputs/kinds.js';

export const innerWorkDir = defineInput({
  key: 'innerWorkDir', env: 'CODER_INNER_WORK_DIR', flag: 'work-dir', schema: absolutePathInput,
  description: 'The working directory of the inner container.', example: '/home/coder',
});
export const innerHostname = defineInput({
  key: 'innerHostname', env: 'CODER_INNER_HOSTNAME', flag: 'hostname', schema: hostnameInput,
  description: 'The hostname of the inner container (default: the container name, which must then be at most 64 characters). RFC 1123, at most 64 characters.', example: 'my-workspace',
});
