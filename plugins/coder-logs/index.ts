import type { EnvboxPlugin } from '../../core/plugin.js';
import { agentUrl, extraCertsPath } from './inputs.js';

/** CODER_AGENT_URL: startup logs in the Coder dashboard. */
export function coderLogsPlugin(): EnvboxPlugin {
  return {
    name: 'coder-logs',
    inputs: [agentUrl, extraCertsPath],
    apply() {},
  };
}
