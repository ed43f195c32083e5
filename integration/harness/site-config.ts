/** A site config and a plugin module that import envbox's API by its package name. */
export const SITE_CONFIG = `// @ts-check
import { defineConfig, definePlugin, withEnv } from 'envbox';

const stamp = definePlugin({
  name: 'site-stamp',
  apply({ hooks }) {
    hooks.containerSpec.tap((body) => withEnv(body, 'SITE_STAMP', 'from-config'));
  },
});

export default defineConfig({ plugins: [stamp, './plugins/quota.mjs'], options: { cpus: 2 } });
`;

export const SITE_PLUGIN = `import { definePlugin, withEnv } from 'envbox';
export default definePlugin({ name: 'site-module', apply({ hooks }) { hooks.containerSpec.tap((body) => withEnv(body, 'SITE_MODULE', 'from-plugin-module')); } });
`;

/**
 * The same site config in TypeScript, with types that only a type-stripping node runs (an interface, a
 * type-only import, annotations): the image's node 24 loads it without the typescript package.
 */
export const SITE_TS_CONFIG = `import { defineConfig, definePlugin, withEnv, type EnvboxPlugin } from 'envbox';

interface Stamp { name: string; value: string }
const wanted: Stamp = { name: 'SITE_STAMP', value: 'from-ts-config' };

const stamp: EnvboxPlugin = definePlugin({
  name: 'site-stamp-ts',
  apply({ hooks }) {
    hooks.containerSpec.tap((body) => withEnv(body, wanted.name, wanted.value));
  },
});

export default defineConfig({ plugins: [stamp, './plugins/quota.mjs'], options: { cpus: 2 as number } });
`;

/** Facts for `envbox plan`, which then needs no daemon. */
export const IMAGE_FACTS = '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}';

/** The files of a site config folder (a ConfigMap at /etc/envbox, say): name to content. */
export const SITE_FILES: Record<string, string> = {
  'envbox.config.mjs': SITE_CONFIG,
  'plugins/quota.mjs': SITE_PLUGIN,
};
