import { defineInput, inputKinds } from 'envbox';

/** Linux's HOST_NAME_MAX: sethostname(2) refuses more, so the container would never start. */
export const HOST_NAME_MAX = 64;

/** RFC 1123 host name that the kernel also takes: at most 64 characters in all. */
const hostnameInput = inputKinds.textInput((text) => {
  const label = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
  if (!text.split('.').every((l) => label.test(l))) {
    return new inputKinds.Problem(`${inputKinds.quote(text)} is not a host name (RFC 1123: letters, digits and "-", dot-separated labels of at most 63 characters)`);
  }
  if (text.length > HOST_NAME_MAX) return new inputKinds.Problem(`${inputKinds.quote(text)} is ${text.length} characters long; Linux allows a host name of at most ${HOST_NAME_MAX}`);
  return text;
});

export const innerWorkDir = defineInput({
  key: 'innerWorkDir', env: 'CODER_INNER_WORK_DIR', flag: 'work-dir', schema: inputKinds.absolutePathInput,
  description: 'The working directory of the inner container.', example: '/home/coder',
});
export const innerHostname = defineInput({
  key: 'innerHostname', env: 'CODER_INNER_HOSTNAME', flag: 'hostname', schema: hostnameInput,
  description: 'The hostname of the inner container (default: the container name, which must then be at most 64 characters). RFC 1123, at most 64 characters.', example: 'my-workspace',
});
export const skipInit = defineInput({
  key: 'skipInit', env: 'ENVBOX_SKIP_INIT', flag: 'skip-init', schema: inputKinds.booleanInput, default: false, boolean: true,
  description:
    "Run the workspace without the image's /sbin/init (a sleep under docker's init instead). With ENVBOX_ROOTLESS, where systemd cannot run, "
    + 'an image with /sbin/init is refused (exit 2) unless this is true.',
  example: 'true',
});
