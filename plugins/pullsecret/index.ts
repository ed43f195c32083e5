import { type EnvboxPlugin, HOST_READ_LIMIT_BYTES, type HostView, InputError, inputKinds, type OptionValues, type PullSpec } from 'envbox';
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
        const config = await readDockerConfig(ctx.host, options);
        credentialSource(config, options);
        helperSource(config);
        return options;
      });

      hooks.prePull.tap(async (pull, ctx) => {
        if (pull.auth !== null) return pull;
        const config = await readDockerConfig(ctx.host, ctx.options, (text) => ctx.buildLog.warn(text));
        const helpers = helperSource(config);
        const helped = helpers && await helperCredentials(helpers, pull.image.registry, {
          env: withoutSecrets(ctx.host.env, ctx.options.secretEnvNames()),
          redact: (values) => ctx.buildLog.redact(values),
          warn: (text) => ctx.buildLog.warn(text),
          debug: (fields, message) => ctx.log.debug(fields, message),
        });
        if (helped) return { ...pull, auth: helped } satisfies PullSpec;
        const source = credentialSource(config, ctx.options);
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

/** The CODER_DOCKER_CONFIG file as read once by a hook, for both its `auths` and its helpers. */
interface DockerConfigText {
  path: string;
  text: string;
}

/**
 * The CODER_DOCKER_CONFIG file's text, or null when there is none envbox reads. Only a regular file is
 * read (the host never opens a FIFO or device blocking, and caps the size); what was skipped and why
 * goes to `warn`, so a start does not go on as if the file were not there without a word.
 */
async function readDockerConfig(host: HostView, options: OptionValues, warn?: (text: string) => void): Promise<DockerConfigText | null> {
  const path = options.get(dockerConfigPath);
  const kind = (await host.stat(path))?.kind;
  if (kind === undefined) return null;
  if (kind !== 'file') {
    warn?.(`${dockerConfigPath.env}: "${path}" is not a regular file (${kind === 'char' || kind === 'block' ? 'a device' : kind === 'dir' ? 'a directory' : 'a FIFO or socket'}); it is not read`);
    return null;
  }
  const text = await host.readFile(path);
  if (text === null) {
    warn?.(`${dockerConfigPath.env}: "${path}" is larger than ${HOST_READ_LIMIT_BYTES / (1024 * 1024)} MiB, or stopped being a regular file while envbox read it; it is not read`);
    return null;
  }
  return { path, text };
}

function credentialSource(config: DockerConfigText | null, options: OptionValues): CredentialSource | null {
  if (config !== null) return { name: `${dockerConfigPath.env} ${config.path}`, auths: parseConfigFile(config.path, config.text) };
  const secret = options.get(imagePullSecret);
  return secret ? { name: imagePullSecret.env, auths: secret.auths } : null;
}

/** The `auths` of a docker config file, checked like CODER_IMAGE_PULL_SECRET; what is wrong is said without quoting any of it. */
function parseConfigFile(path: string, text: string): unknown {
  const parsed = inputKinds.parseJson(text, dockerConfigFileSchema, DOCKER_CONFIG_JSON, true);
  if (parsed instanceof inputKinds.Problem) {
    throw new InputError([{
      variable: `${dockerConfigPath.env} (${path})`,
      problem: parsed.text,
      example: `fix the file, or point ${dockerConfigPath.env} at another one; it is read instead of ${imagePullSecret.env} whenever it exists`,
    }]);
  }
  return parsed.auths ?? null;
}

/** credHelpers and credsStore of the CODER_DOCKER_CONFIG file, when it exists; a bad helper name is exit 2. */
function helperSource(config: DockerConfigText | null): HelperConfig | null {
  if (config === null) return null;
  const parsed = parseHelperConfig(config.text, DOCKER_CONFIG_JSON);
  if (parsed instanceof inputKinds.Problem) {
    throw new InputError([{ variable: `${dockerConfigPath.env} (${config.path})`, problem: parsed.text, example: 'a helper name such as "credsStore": "ecr-login" (the program docker-credential-ecr-login on PATH)' }]);
  }
  return parsed;
}

/** A helper gets envbox's env without its secret inputs (the agent token has no business there). */
function withoutSecrets(env: Readonly<Record<string, string>>, secretNames: readonly string[]): NodeJS.ProcessEnv {
  const hidden = new Set(secretNames);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !hidden.has(name)));
}
