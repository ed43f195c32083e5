import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader } from 'cosmiconfig';
import { InputError, messageOf } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { envboxConfigSchema, type EnvboxPlugin } from '../plugin.js';
import { mayHaveConfig } from './config-candidates.js';
import { importConfigFile, importModule } from './import-module.js';
import { resolveEnvboxToItself } from './self-resolve.js';

export interface LoadedConfig {
  /** The file it came from; undefined when none was found. */
  file?: string;
  options: Record<string, unknown>;
  plugins: EnvboxPlugin[];
  /** Where each plugin came from, for errors: `plugins[1] ("./quota.mjs") in /site/envbox.config.mjs`. */
  sources: string[];
  disable: string[];
}

/**
 * Every file name envbox looks for, in this order, from the working directory up to the project
 * root. docs/plugins.md lists exactly these, and a test loads each one. TypeScript configs are left
 * out of the search: only one named with --config/ENVBOX_CONFIG is loaded (node 24 strips its types).
 */
export const CONFIG_FILE_NAMES = [
  'package.json', '.envboxrc', '.envboxrc.json', '.envboxrc.yaml', '.envboxrc.yml', '.envboxrc.js', '.envboxrc.cjs', '.envboxrc.mjs',
  'envbox.config.js', 'envbox.config.cjs', 'envbox.config.mjs', 'envbox.config.json',
] as const;

const EXAMPLE = "export default defineConfig({ plugins: [myPlugin()], options: { cpus: 2 }, disable: ['gpu'] })";

function configError(file: string, problem: string, example = EXAMPLE): InputError {
  return new InputError([{ variable: file, problem, example }]);
}

/** What is missing from a would-be plugin object, or null when it is one. */
function pluginShapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a plugin object { name, apply }';
  const { name, apply } = value as Partial<EnvboxPlugin>;
  const missing = [
    typeof name === 'string' && name !== '' ? null : `"name" (a non-empty string${name === undefined ? '' : `, not ${JSON.stringify(name)}`})`,
    typeof apply === 'function' ? null : `"apply" (a function${apply === undefined ? '' : `, not ${typeof apply}`})`,
  ].filter((m) => m !== null);
  return missing.length === 0 ? null : `is a plugin object without ${missing.join(' and ')}`;
}

/**
 * Only code can `import 'envbox'`, and the resolution hook costs a loader thread (about 25 ms), so it
 * is registered when a JS/TS config or a plugin module is about to load, not on every start.
 */
function withSelfResolve(loader: Loader): Loader {
  return (filepath, content) => {
    resolveEnvboxToItself();
    return loader(filepath, content);
  };
}

/** Whether this node runs a .ts file itself (type stripping on; `process.features.typescript`, node 22.10+). */
function nodeStripsTypes(): boolean {
  const { typescript } = process.features as { typescript?: string | false };
  return typeof typescript === 'string' && typescript !== '';
}

/** cosmiconfig (with js-yaml and parse-json) is loaded only when there may be a file for it to read. */
async function configExplorer() {
  const { cosmiconfig, defaultLoaders } = await import('cosmiconfig');
  // A node that strips types itself (24, the image's; 22.18+) imports a .ts config as it is. Older ones
  // (20, this project's build) need typescript: asked for here first, so that its absence is what the error says.
  const loadTs: Loader = async (filepath, content) => {
    if (nodeStripsTypes()) return importConfigFile(filepath);
    await importModule('typescript');
    return defaultLoaders['.ts'](filepath, content);
  };
  const loadJs: Loader = (filepath) => importConfigFile(filepath);
  const loaders = Object.fromEntries(Object.entries({ '.js': loadJs, '.mjs': loadJs, '.cjs': loadJs, '.ts': loadTs }).map(([ext, loader]) => [ext, withSelfResolve(loader)]));
  return cosmiconfig('envbox', { searchStrategy: 'project', searchPlaces: [...CONFIG_FILE_NAMES], loaders });
}

async function loadPluginModule(file: string, specifier: string, pluginOptions: unknown): Promise<EnvboxPlugin> {
  let path = specifier;
  let mod: Record<string, unknown>;
  try {
    // A package name is looked up in the config's node_modules, not in envbox's own.
    path = specifier.startsWith('.') || isAbsolute(specifier) ? resolve(dirname(file), specifier) : createRequire(file).resolve(specifier);
    resolveEnvboxToItself();
    mod = await importModule(pathToFileURL(path).href);
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
  const problem = pluginShapeProblem(plugin);
  if (problem !== null) {
    throw configError(file, `the module "${specifier}" must export (default) a plugin object { name, apply } or a function returning one; what it gave ${problem}`,
      "export default function myPlugin(options) { return { name: 'my-plugin', apply({ hooks }) {} } }");
  }
  return plugin as EnvboxPlugin;
}

/** What a CommonJS config can do instead of require('envbox'): import() goes through the self-resolution hook. */
const IMPORT_INSTEAD = "use envbox.config.mjs with `import { defineConfig } from 'envbox'`, or `module.exports = async () => { const { defineConfig } = await import('envbox'); ... }`";

/** What to do about a config that failed to load; a missing package is not an ESM/CommonJS mix-up. */
function loadHint(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  // node 20.19+ (and 22.12+) can require() an ES module; an older node, or --no-experimental-require-module, cannot.
  if (code === 'ERR_REQUIRE_ESM' || /require\(\) of ES Module/.test(message)) {
    return `this node (${process.version}) cannot require() an ES module such as envbox; node 20.19 and later can. Or ${IMPORT_INSTEAD}`;
  }
  // The hook that gives a config the running envbox sees import, not require: require finds only an installed envbox.
  if (/Cannot find module 'envbox(\/[^']*)?'/.test(message)) {
    return `require('envbox') finds only an envbox installed next to the config (npm install of its tarball), while import gets the running envbox with nothing installed: ${IMPORT_INSTEAD}`;
  }
  if (/['"]typescript['"]/.test(message) && /Cannot find (package|module)/.test(message)) {
    return 'A TypeScript config needs node 22.18 or later (the image ships node 24), or the typescript package: or use envbox.config.mjs with `// @ts-check`';
  }
  if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') {
    return 'node only strips types: enums, namespaces and parameter properties need a transform; write them as plain objects and functions, or use envbox.config.mjs';
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(message)) {
    return 'A package the config imports is not installed: install it next to the config (npm install in its folder), or import it by a relative path';
  }
  if (/require|import|export|module/i.test(message)) {
    return 'ESM and CommonJS mix-up? Use envbox.config.mjs with `export default`, or envbox.config.cjs with `module.exports =`';
  }
  return EXAMPLE;
}

function noConfig(): LoadedConfig {
  return { options: {}, plugins: [], sources: [], disable: [] };
}

/**
 * Finds and loads envbox.config.{js,mjs,cjs,json}, .envboxrc*, or the `envbox` key of package.json,
 * searching from `cwd` up to the project root (searchStrategy 'project'), or loads `explicitPath`.
 */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  const where = explicitPath ? resolve(cwd, explicitPath) : undefined;
  if (!where && !mayHaveConfig(cwd, CONFIG_FILE_NAMES)) return noConfig();
  let result: Awaited<ReturnType<Awaited<ReturnType<typeof configExplorer>>['search']>>;
  try {
    const explorer = await configExplorer();
    result = where ? await explorer.load(where) : await explorer.search(cwd);
  } catch (error) {
    const message = (error as Error).message;
    throw configError(where ?? (error as { filepath?: string }).filepath ?? 'envbox config', `failed to load: ${message}`, loadHint(error));
  }
  if (!result) return noConfig();
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
  const parsed = envboxConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw configError(file, parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `"${key}" is not a config key${didYouMean(key, Object.keys(envboxConfigSchema.shape))}; the keys are plugins, options, disable`).join('; ');
      }
      return `${issue.path.join('.') || 'the config'}: ${issue.message}`;
    }).join('; '));
  }
  const config = parsed.data;
  const plugins: EnvboxPlugin[] = [];
  const sources: string[] = [];
  for (const [index, entry] of (config.plugins ?? []).entries()) {
    if (typeof entry === 'string') plugins.push(await loadPluginModule(file, entry, undefined));
    else if (Array.isArray(entry) && typeof entry[0] === 'string') plugins.push(await loadPluginModule(file, entry[0], entry[1]));
    else {
      const problem = pluginShapeProblem(entry);
      if (problem !== null) {
        const kind = Array.isArray(entry) ? 'is an array whose first item is not a module path' : problem;
        throw configError(file, `plugins[${index}] ${kind}; an entry is a plugin object { name, apply }, a module path, or [path, options]`);
      }
      plugins.push(entry as EnvboxPlugin);
    }
    const module = typeof entry === 'string' ? entry : Array.isArray(entry) ? entry[0] : undefined;
    sources.push(`plugins[${index}]${module ? ` (${JSON.stringify(module)})` : ''} in ${file}`);
  }
  return { file, options: config.options ?? {}, plugins, sources, disable: config.disable ?? [] };
}
