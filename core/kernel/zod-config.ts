import { config } from 'zod';

/**
 * envbox validates a few small values once per run. zod's JIT (a `new Function` parser per object
 * schema, compiled at its first parse) costs more than it saves there, so it is off.
 * Every module that builds schemas imports this first, so the setting comes before any schema.
 * (A module that re-exported zod's namespace would defeat tree-shaking: all of zod, locales included.)
 */
config({ jitless: true });
