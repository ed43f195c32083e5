import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { EnvboxConfig, EnvboxPlugin } from '../plugin.js';
import { resolveEnvboxToItself } from './self-resolve.js';

export interface LoadedConfig {
  /** The file it came from; undefined when none was found. */
  file?: string;
  options: Record<string, unknown>;
  plugins: EnvboxPlugin[];
  disable: string[];
}

const EXAMPLE = "export default defineConfig({ plugins: [myPlugin()], options: { cpus: 2 }, disable: ['gpu'] })";

const configShape = z.object({
  plugins: z.array(z.unknown()).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  disable: z.array(z.string()).optional(),
}).strict();

function configError(file: string, problem: string, example = EXAMPLE): InputError {
  return new InputError([{ variable: file, problem, example }]);
}

function isPlugin(value: unknown): value is EnvboxPlugin {
  return typeof value === 'object' && value !== null
    && typeof (value as EnvboxPlugin).name === 'string' && (value as EnvboxPlugin).name !== ''
    && typeof (value as EnvboxPlugin).apply === 'function';
}

async function loadPluginModule(file: string, specifier: string, pluginOptions: unknown): Promise<EnvboxPlugin> {
  let path = specifier;
  let mod: Record<string, unknown>;
  try {
    // A package name is looked up in the config's node_modules, not in envbox's own.
    path = specifier.startsWith('.') || isAbsolute(specifier) ? resolve(dirname(file), specifier) : createRequire(file).resolve(specifier);
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw configError(file, `cannot load the plugin module "${specifier}" (resolved to ${path}): ${(error as Error).message}`,
      "plugins: ['./plugins/my-plugin.js'] where that module has `export default { name: 'my-plugin', apply(api) {...} }`");
  }
  const exported = mod.default ?? mod.plugin;
  const plugin = typeof exported === 'function' ? await (exported as (o: unknown) => unknown)(pluginOptions) : exported;
  if (!isPlugin(plugin)) {
    throw configError(file, `the module "${specifier}" must export (default) a plugin object { name, apply } or a function returning one`,
      "export default function myPlugin(options) { return { name: 'my-plugin', apply({ hooks }) {} } }");
  }
  return plugin;
}

/** What to do about a config that failed to load; a missing package is not an ESM/CommonJS mix-up. */
function loadHint(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  if (code === 'ERR_REQUIRE_ESM' || /require\(\) of ES Module|Cannot find module 'envbox(\/[^']*)?'/.test(message)) {
    return "envbox is an ES module, so a CommonJS config cannot require() it: use envbox.config.mjs with `import { defineConfig } from 'envbox'`";
  }
  if (/['"]typescript['"]/.test(message) && /Cannot find (package|module)/.test(message)) {
    return 'A TypeScript config needs the typescript package, which the envbox image does not ship: use envbox.config.mjs with `// @ts-check`';
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(message)) {
    return 'A package the config imports is not installed: install it next to the config (npm install in its folder), or import it by a relative path';
  }
  if (/require|import|export|module/i.test(message)) {
    return 'ESM and CommonJS mix-up? Use envbox.config.mjs with `export default`, or envbox.config.cjs with `module.exports =`';
  }
  return EXAMPLE;
}

/**
 * Finds and loads envbox.config.{js,mjs,cjs,json}, .envboxrc*, or the `envbox` key of package.json,
 * searching from `cwd` up to the project root (searchStrategy 'project'), or loads `explicitPath`.
 */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  resolveEnvboxToItself();
  const explorer = cosmiconfig('envbox', { searchStrategy: 'project' });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  const where = explicitPath ? resolve(cwd, explicitPath) : undefined;
  try {
    result = where ? await explorer.load(where) : await explorer.search(cwd);
  } catch (error) {
    const message = (error as Error).message;
    throw configError(where ?? (error as { filepath?: string }).filepath ?? 'envbox config', `failed to load: ${message}`, loadHint(error));
  }
  if (!result) return { options: {}, plugins: [], disable: [] };
  const file = result.filepath;
  let raw = result.config as unknown;
  if (typeof raw === 'function') raw = await (raw as () => unknown)();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError(file, 'the config must export an object (did you forget `export default`?)');
  }
  const parsed = configShape.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(file, `${issue?.path.join('.') || 'the config'}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data as EnvboxConfig;
  const plugins: EnvboxPlugin[] = [];
  for (const [index, entry] of (config.plugins ?? []).entries()) {
    if (typeof entry === 'string') plugins.push(await loadPluginModule(file, entry, undefined));
    else if (Array.isArray(entry) && typeof entry[0] === 'string') plugins.push(await loadPluginModule(file, entry[0], entry[1]));
    else if (isPlugin(entry)) plugins.push(entry);
    else throw configError(file, `plugins[${index}] is not a plugin object { name, apply }, a module path, or [path, options]`);
  }
  return { file, options: config.options ?? {}, plugins, disable: config.disable ?? [] };
}
