// Bundled into the image's main.js: loads envbox.cjs, the one CommonJS file that holds the CLI and
// the API, with V8's code cache. Node 20 caches no compiled code for files it loads, so every start
// would parse and compile about 2 MB of JavaScript again (`plan` 84 -> 66 ms). Node 24's own
// module.enableCompileCache() was measured against this loader and is 12 % slower for `plan`: it keeps
// only what V8 compiled eagerly, this cache what a whole `plan` run compiled (bench/README.md). A cache
// holds only for the node flags it was made with, so there are two, written at build time by runs with
// ENVBOX_WRITE_CODE_CACHE set: envbox.cjs.cache for node without flags (`plan`), and
// envbox.cjs.flagged.cache for node with the bundle's node-flags (`docker`, as /envbox starts it). Each
// is only a hint: V8 refuses one made by another node, with other flags or for other source, and the
// file is then compiled as usual. The module goes into require.cache, so `import 'envbox'` (index.mjs, which requires
// envbox.cjs) gets this very instance and shares its classes.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// import() in code compiled here would need --experimental-vm-modules on node 20: envbox.cjs leaves
// every import() to import-module.cjs (core/kernel/config/import-module.ts), which node compiles itself.
function loadEnvbox() {
  const file = join(__dirname, 'envbox.cjs');
  if (require.cache[file]) return require.cache[file].exports;
  const cacheFile = process.execArgv.length > 0 ? `${file}.flagged.cache` : `${file}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  require.cache[file] = mod;
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  if (process.env.ENVBOX_WRITE_CODE_CACHE) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  return mod.exports;
}

module.exports = loadEnvbox();
