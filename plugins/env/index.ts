import { coreInputs, withEnv, withEnvs, type EnvboxPlugin } from 'envbox';
import { innerEnvs } from './inputs.js';

const SUBSYSTEM = 'CODER_AGENT_SUBSYSTEM';

/** Merges the outer CODER_AGENT_SUBSYSTEM with `envbox`: de-duplicated and sorted, as the agent reports it. */
export function mergeSubsystems(outer: string | undefined): string {
  const parts = (outer ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [...new Set([...parts, 'envbox'])].sort().join(',');
}

/**
 * Outer env entries whose name equals a filter or starts with a `PREFIX*` filter's prefix. A
 * pattern never selects one of `secretNames` (envbox's own secret inputs): `CODER_*` or `*` must
 * not hand the pull secret to the workspace. Naming one exactly still does, as a deliberate choice.
 */
export function filterEnv(env: Readonly<Record<string, string>>, filters: readonly string[], secretNames: readonly string[] = []): [string, string][] {
  const secret = new Set(secretNames);
  const matches = (name: string) => filters.some((f) => (f.endsWith('*') ? !secret.has(name) && name.startsWith(f.slice(0, -1)) : name === f));
  return Object.entries(env).filter(([name]) => matches(name));
}

/** The agent token, the subsystem, and the outer env that CODER_INNER_ENVS selects. */
export function envPlugin(): EnvboxPlugin {
  return {
    name: 'env',
    inputs: [innerEnvs],
    apply({ hooks }) {
      hooks.containerSpec.tap((body, ctx) => {
        let next = withEnv(body, 'CODER_AGENT_TOKEN', ctx.options.get(coreInputs.agentToken) ?? '');
        next = withEnv(next, SUBSYSTEM, mergeSubsystems(ctx.host.env[SUBSYSTEM]));
        // The merged subsystem and the token are owned above; a filter must not undo them.
        const passed = filterEnv(ctx.host.env, ctx.options.get(innerEnvs), ctx.options.secretEnvNames()).filter(([name]) => name !== SUBSYSTEM && name !== 'CODER_AGENT_TOKEN');
        return withEnvs(next, passed);
      });
    },
  };
}
