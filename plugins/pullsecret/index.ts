import { EnvboxError } from '../../core/errors.js';
import type { PhaseContext, PullSpec } from '../../core/hooks.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { chooseAuth, credentialSecrets } from './docker-config.js';
import { dockerConfigPath, imagePullSecret } from './inputs.js';

/** The X-Registry-Auth header value; the core's encoder, under the name this plugin's users know. */
export { encodeRegistryAuth as dockerAuthHeader } from '../../core/docker/registry-auth.js';

/** CODER_DOCKER_CONFIG (when the file exists) or CODER_IMAGE_PULL_SECRET: credentials for the image's registry. */
export function pullSecretPlugin(): EnvboxPlugin {
  return {
    name: 'pullsecret',
    inputs: [imagePullSecret, dockerConfigPath],
    apply({ hooks }) {
      hooks.prePull.tap(async (pull, ctx) => {
        if (pull.auth !== null) return pull;
        const source = await credentialSource(ctx);
        if (source === null) return pull;
        ctx.buildLog.redact(credentialSecrets(source.auths));
        const registry = pull.image.registry;
        const chosen = chooseAuth(source.auths, registry);
        if (chosen === null) {
          ctx.log.debug({ source: source.name, registry }, 'no usable registry credentials; pulling anonymously');
          return pull;
        }
        ctx.log.debug({ source: source.name, registry, authKey: chosen.key, fallback: chosen.fallback }, 'using registry credentials');
        return { ...pull, auth: chosen.auth } satisfies PullSpec;
      });
    },
  };
}

interface CredentialSource {
  /** Where the credentials came from, for the debug log. */
  name: string;
  auths: unknown;
}

async function credentialSource(ctx: PhaseContext): Promise<CredentialSource | null> {
  const path = ctx.options.get(dockerConfigPath);
  const text = await ctx.host.readFile(path);
  if (text !== null) return { name: `${dockerConfigPath.env} ${path}`, auths: parseConfigFile(path, text) };
  const secret = ctx.options.get(imagePullSecret);
  return secret ? { name: imagePullSecret.env, auths: secret.auths } : null;
}

/** The `auths` of a docker config file; what is wrong is said without quoting any of it. */
function parseConfigFile(path: string, text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the error, which may be a password.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new EnvboxError(
      `the docker config ${path} (${dockerConfigPath.env}) is not valid JSON${position ? ` (error at character ${position})` : ''}`,
      `fix the file, or point ${dockerConfigPath.env} at another one; it is read instead of ${imagePullSecret.env} whenever it exists`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EnvboxError(
      `the docker config ${path} (${dockerConfigPath.env}) is not a JSON object`,
      'a docker config looks like {"auths":{"registry.example.com":{"auth":"<base64 user:pass>"}}}',
    );
  }
  return (parsed as { auths?: unknown }).auths ?? null;
}
