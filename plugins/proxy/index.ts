import { type EnvboxPlugin, type InputDef, InputError, type OptionValues } from 'envbox';
import { PROXY_INPUTS, maskedProxy } from './inputs.js';

/**
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY for the managed dockerd, which pulls through them. They are
 * set on dockerd's own env explicitly (so `plan` shows them, and a config file or flag works too),
 * with the lowercase spellings as a fallback. The workspace gets them only through CODER_INNER_ENVS.
 */
export function proxyPlugin(): EnvboxPlugin {
  return {
    name: 'proxy',
    inputs: [...PROXY_INPUTS],
    apply({ hooks }) {
      hooks.configure.tap((options, ctx) => withLowercaseFallbacks(options, ctx.host.env));

      hooks.preDaemon.tap((daemon, ctx) => {
        const env: Record<string, string> = {};
        for (const def of PROXY_INPUTS) {
          const value = ctx.options.get(def);
          if (value !== undefined) env[def.env] = value;
        }
        if (Object.keys(env).length === 0) return daemon;
        ctx.buildLog.info(`dockerd pulls through ${Object.entries(env).map(([k, v]) => `${k}=${maskedProxy(v)}`).join(' ')}`);
        return { ...daemon, env: { ...daemon.env, ...env } };
      });
    },
  };
}

/** `https_proxy` when HTTPS_PROXY is unset, as curl and Go read them; checked like the uppercase names. */
function withLowercaseFallbacks(options: OptionValues, env: Readonly<Record<string, string>>): OptionValues {
  let next = options;
  for (const def of PROXY_INPUTS as readonly InputDef<string | undefined>[]) {
    const lower = def.env.toLowerCase();
    const raw = env[lower];
    if (next.get(def) !== undefined || raw === undefined || raw === '') continue;
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) {
      throw new InputError([{ variable: lower, problem: parsed.error.issues[0]?.message ?? 'is invalid', example: `${lower}=${def.example}` }]);
    }
    next = next.with(def, parsed.data);
  }
  return next;
}
