import { defaultAsText, type InputDef } from '../core/kernel/inputs/define.js';

export const ROOT_USAGE = `envbox: runs a workspace image as an unprivileged container with its own Docker daemon

Usage:
  envbox docker [flags]   start dockerd, pull the image, run and supervise the workspace
  envbox plan [flags]     print what \`docker\` would do, as JSON, changing nothing
  envbox status [--json]  print the current phase; exit 0 only when ready (a readiness probe)
  envbox --version

Every flag is also an env var (see \`envbox docker --help\`). Precedence: defaults, envbox.config.*,
env vars, flags. Exit codes: 0 stopped cleanly, 1 failed, 2 invalid input (nothing was started).
`;

function defaultText(def: InputDef): string {
  if (def.required) return ' (required)';
  const value = defaultAsText(def);
  return value === '' ? '' : ` (default ${value})`;
}

export function commandUsage(command: 'docker' | 'plan', defs: InputDef[]): string {
  const intro = command === 'docker'
    ? 'envbox docker: start dockerd, pull the image, run the workspace and supervise it until SIGTERM.'
    : 'envbox plan: resolve everything `docker` would do and print it as one JSON document; perform nothing.';
  const rows = defs.map((def) => `  --${def.flag}${def.boolean ? '' : '=VALUE'}\n      ${def.env}${defaultText(def)}: ${def.description}`);
  return `${intro}\n\nUsage: envbox ${command} [flags]\n\nFlags (each also an env var):\n${rows.join('\n')}\n  --config=PATH\n      ENVBOX_CONFIG: load this config file instead of searching for envbox.config.*\n`;
}
