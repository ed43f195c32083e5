/** A site config and a plugin module that import envbox's API by its package name (issue 7 §1). */
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

/** Facts for `envbox plan`, which then needs no daemon. */
export const IMAGE_FACTS = '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}';

/** The files of a site config folder (a ConfigMap at /etc/envbox, say): name to content. */
export const SITE_FILES: Record<string, string> = {
  'envbox.config.mjs': SITE_CONFIG,
  'plugins/quota.mjs': SITE_PLUGIN,
};
