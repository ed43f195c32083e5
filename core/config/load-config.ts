import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import { z } from 'zod';
import { InputError, messageOf } from '../errors.js';
import type { EnvboxConfig, EnvboxPlugin } from '../plugin.js';

export interface LoadedConfig {
  /** The file it came from; undefined when none was found. */
  file?: string;
  options: Record<string, unknown>;
  plugins: EnvboxPlugin[];
  disable: string[];
}

/**
 * Every file name envbox looks for, in this order, from the working directory up to the project
 * root. The README lists exactly these, and a test loads each one. TypeScript configs are left
 * out: loading them needs the TypeScript compiler, which the envbox image does not ship.
 */
export const CONFIG_FILE_NAMES = [
  'package.json', '.envboxrc', '.envboxrc.json', '.envboxrc.yaml', '.envboxrc.yml', '.envboxrc.js', '.envboxrc.cjs', '.envboxrc.mjs',
  'envbox.config.js', 'envbox.config.cjs', 'envbox.config.mjs', 'envbox.config.json',
] as const;

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
  let plugin: unknown = exported;
  if (typeof exported === 'function') {
    try {
      plugin = await (exported as (o: unknown) => unknown)(pluginOptions);
    } catch (error) {
      throw configError(file, `the plugin factory exported by "${specifier}" threw: ${messageOf(error)}`,
        'make the factory return a plugin object { name, apply } for the options given in the config');
    }
  }
  if (!isPlugin(plugin)) {
    throw configError(file, `the module "${specifier}" must export (default) a plugin object { name, apply } or a function returning one`,
      "export default function myPlugin(options) { return { name: 'my-plugin', apply({ hooks }) {} } }");
  }
  return plugin;
}

/**
 * Finds and loads envbox.config.{js,mjs,cjs,json}, .envboxrc*, or the `envbox` key of package.json,
 * searching from `cwd` up to the project root (searchStrategy 'project'), or loads `explicitPath`.
 */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  const explorer = cosmiconfig('envbox', { searchStrategy: 'project', searchPlaces: [...CONFIG_FILE_NAMES] });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  const where = explicitPath ? resolve(cwd, explicitPath) : undefined;
  try {
    result = where ? await explorer.load(where) : await explorer.search(cwd);
  } catch (error) {
    const message = (error as Error).message;
    const hint = /require|import|export|module/i.test(message)
      ? 'ESM and CommonJS mix-up? Use envbox.config.mjs with `export default`, or envbox.config.cjs with `module.exports =`'
      : EXAMPLE;
    throw configError(where ?? (error as { filepath?: string }).filepath ?? 'envbox config', `failed to load: ${message}`, hint);
  }
  if (!result) return { options: {}, plugins: [], disable: [] };
  const file = result.filepath;
  let raw = result.config as unknown;
  if (typeof raw === 'function') {
    try {
      raw = await (raw as () => unknown)();
    } catch (error) {
      throw configError(file, `the function the config exports threw: ${messageOf(error)}`);
    }
  }
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
