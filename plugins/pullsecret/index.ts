import { InputError } from '../../core/errors.js';
import type { HostView } from '../../core/host/host.js';
import type { PullSpec } from '../../core/hooks.js';
import { Problem, parseJson } from '../../core/inputs/kinds.js';
import type { OptionValues } from '../../core/inputs/options.js';
import type { EnvboxPlugin } from '../../core/plugin.js';
import { helperCredentials, parseHelperConfig, type HelperConfig } from './cred-helpers.js';
import { chooseAuth, credentialSecrets, dockerConfigFileSchema } from './docker-config.js';
import { DOCKER_CONFIG_JSON, dockerConfigPath, imagePullSecret } from './inputs.js';

/** CODER_DOCKER_CONFIG (when the file exists) or CODER_IMAGE_PULL_SECRET: credentials for the image's registry. */
export function pullSecretPlugin(): EnvboxPlugin {
  return {
    name: 'pullsecret',
    inputs: [imagePullSecret, dockerConfigPath],
    secretKeys: ['auth', 'identitytoken', 'imagePullSecret'],
    apply({ hooks }) {
      // The file is checked before anything starts, with the schema of the env var: a bad entry is exit 2 either way.
      hooks.configure.tap(async (options, ctx) => {
        await credentialSource(ctx.host, options);
        await helperSource(ctx.host, options);
        return options;
      });

      hooks.prePull.tap(async (pull, ctx) => {
        if (pull.auth !== null) return pull;
        const helpers = await helperSource(ctx.host, ctx.options);
        const helped = helpers && await helperCredentials(helpers, pull.image.registry, {
          env: withoutSecrets(ctx.host.env, ctx.options.secretEnvNames()),
          redact: (values) => ctx.buildLog.redact(values),
          warn: (text) => ctx.buildLog.warn(text),
          debug: (fields, message) => ctx.log.debug(fields, message),
        });
        if (helped) return { ...pull, auth: helped } satisfies PullSpec;
        const source = await credentialSource(ctx.host, ctx.options, (text) => ctx.buildLog.warn(text));
        if (source === null) return pull;
        ctx.buildLog.redact(credentialSecrets(source.auths));
        const registry = pull.image.registry;
        const chosen = chooseAuth(source.auths, registry);
        if (chosen === null) {
          ctx.log.debug({ source: source.name, registry }, 'no usable registry credentials; pulling anonymously');
          return pull;
        }
        if (chosen.fallback) {
          // Key names are not secret; the credentials themselves are never quoted.
          ctx.buildLog.warn(`${source.name}: no key of its "auths" names a registry, so its first usable entry (key ${JSON.stringify(chosen.key)}) is sent to ${registry}, as the original envbox did. Key the entry by the registry's host instead, e.g. {"auths":{"${registry}":{...}}}`);
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

async function credentialSource(host: HostView, options: OptionValues, warn?: (text: string) => void): Promise<CredentialSource | null> {
  const path = options.get(dockerConfigPath);
  // Opening a FIFO would wait for a writer for ever, and a device may never end: only a regular file is read.
  const kind = (await host.stat(path))?.kind;
  if (kind !== undefined && kind !== 'file') {
    warn?.(`${dockerConfigPath.env}: "${path}" is not a regular file (${kind === 'char' || kind === 'block' ? 'a device' : kind === 'dir' ? 'a directory' : 'a FIFO or socket'}); it is not read`);
  }
  const text = kind === 'file' ? await host.readFile(path) : null;
  if (text !== null) return { name: `${dockerConfigPath.env} ${path}`, auths: parseConfigFile(path, text) };
  const secret = options.get(imagePullSecret);
  return secret ? { name: imagePullSecret.env, auths: secret.auths } : null;
}

/** The `auths` of a docker config file, checked like CODER_IMAGE_PULL_SECRET; what is wrong is said without quoting any of it. */
function parseConfigFile(path: string, text: string): unknown {
  const parsed = parseJson(text, dockerConfigFileSchema, DOCKER_CONFIG_JSON, true);
  if (parsed instanceof Problem) {
    throw new InputError([{
      variable: `${dockerConfigPath.env} (${path})`,
      problem: parsed.text,
      example: `fix the file, or point ${dockerConfigPath.env} at another one; it is read instead of ${imagePullSecret.env} whenever it exists`,
    }]);
  }
  return parsed.auths ?? null;
}

/** credHelpers and credsStore of the CODER_DOCKER_CONFIG file, when it exists; a bad helper name is exit 2. */
async function helperSource(host: HostView, options: OptionValues): Promise<HelperConfig | null> {
  const path = options.get(dockerConfigPath);
  const text = await host.readFile(path);
  if (text === null) return null;
  const parsed = parseHelperConfig(text, DOCKER_CONFIG_JSON);
  if (parsed instanceof Problem) {
    throw new InputError([{ variable: `${dockerConfigPath.env} (${path})`, problem: parsed.text, example: 'a helper name such as "credsStore": "ecr-login" (the program docker-credential-ecr-login on PATH)' }]);
  }
  return parsed;
}

/** A helper gets envbox's env without its secret inputs (the agent token has no business there). */
function withoutSecrets(env: Readonly<Record<string, string>>, secretNames: readonly string[]): NodeJS.ProcessEnv {
  const hidden = new Set(secretNames);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !hidden.has(name)));
}
