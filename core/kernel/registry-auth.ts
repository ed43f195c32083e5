/** Registry credentials in the shape of Docker's X-Registry-Auth. */
export type PullAuth =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

/**
 * X-Registry-Auth as dockerd decodes it: base64url WITH padding of the JSON. dockerd silently
 * treats any other encoding as anonymous ("no basic auth credentials"), so this is not negotiable.
 */
export function encodeRegistryAuth(auth: PullAuth): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
