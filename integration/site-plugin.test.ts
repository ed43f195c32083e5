// A site engineer's project OUTSIDE this repository, with envbox installed (node_modules/envbox, here
// a link to this checkout's built package, as `npm install` of it would give): a plugin written from
// docs/plugins.md alone, in plain JS with // @ts-check and in TypeScript, each typechecked with tsc and
// tested on `envbox/testing`, then used through `[path, options]` by the real CLI (dist/cli/main.js).
// It needs `npm run build` first, which `npm run test:integration` does. No daemon is involved.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from './harness/paths.js';

const exec = promisify(execFile);
const FACTS = JSON.stringify({ uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' });

/** The plugin the engineer tried to write: a CA bind, an env var, a label, an action, a postStart log, options. */
const PLUGIN_JS = `// @ts-check
import { definePlugin, withBind, withEnv, withLabel } from 'envbox';

/** @param {{ team: string, caFile?: string }} options */
export default function sitePlugin(options) {
  const caFile = options.caFile ?? '/etc/site/ca.pem';
  return definePlugin({
    name: 'site',
    apply({ hooks, stages }) {
      hooks.containerSpec.tap((body, ctx) => {
        ctx.act({ kind: 'chmod', path: caFile, mode: '0644' });
        const bound = withBind(body, { source: caFile, target: '/usr/local/share/ca-certificates/site.crt', readOnly: true });
        return withLabel(withEnv(bound, 'SITE_TEAM', options.team), 'com.example.team', options.team);
      });
      hooks.containerSpec.tap({ stage: stages.POLICY }, (body) => {
        if (body.HostConfig.Privileged) throw new Error('privileged workspaces are not allowed here');
        return body;
      });
      hooks.postStart.tap((ctx) => { ctx.buildLog.info('site: workspace ' + ctx.containerName + ' is up for ' + options.team); });
    },
  });
}
`;

const TEST_JS = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeActions, runContainerSpec, runPostStart } from 'envbox/testing';
import sitePlugin from './site-plugin.mjs';

test('the site plugin, in plain JS', async () => {
  const { body, actions } = await runContainerSpec([sitePlugin({ team: 'infra' })], { builtins: true });
  assert.ok(body.Env?.includes('SITE_TEAM=infra'));
  assert.equal(body.Labels?.['com.example.team'], 'infra');
  assert.ok(body.HostConfig.Binds?.includes('/etc/site/ca.pem:/usr/local/share/ca-certificates/site.crt:ro'));
  assert.deepEqual(describeActions(actions).filter((a) => a.startsWith('site/')), ['site/containerSpec: chmod 0644 /etc/site/ca.pem']);
  const { buildLog } = await runPostStart([sitePlugin({ team: 'infra' })]);
  assert.equal(buildLog.at(-1)?.output, 'site: workspace workspace_cvm is up for infra');
});
`;

const PLUGIN_TS = `import { definePlugin, withEnv, type EnvboxPlugin } from 'envbox';

export interface SiteOptions { region: string }

export default function regionPlugin(options: SiteOptions): EnvboxPlugin {
  return definePlugin({
    name: 'region',
    apply({ hooks }) {
      hooks.containerSpec.tap((body) => withEnv(body, 'SITE_REGION', options.region));
    },
  });
}
`;

const TEST_TS = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPlan } from 'envbox/testing';
import regionPlugin from './region-plugin.js';

test('the site plugin, in TypeScript, in the whole plan', async () => {
  const { plan } = await runPlan([regionPlugin({ region: 'eu-1' })], { builtins: true });
  const env: readonly string[] = plan.container.create.Env ?? [];
  assert.ok(env.includes('SITE_REGION=eu-1'));
});
`;

/** What tsc must reject: an in-place edit of the (read-only) body, the mistake the freeze also catches at run time. */
const MUTATING_TS = `import { definePlugin } from 'envbox';
export default definePlugin({ name: 'bad', apply({ hooks }) {
  hooks.containerSpec.tap((body) => { body.HostConfig.Privileged = true; return body; });
} });
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowJs: true, checkJs: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  include: ['*.ts', '*.mjs'],
}, null, 2);

const CONFIG = `// @ts-check
import { defineConfig } from 'envbox';
export default defineConfig({ plugins: [['./site-plugin.mjs', { team: 'infra' }]], options: { addFuse: true } });
`;

let site = '';
before(async () => {
  site = await mkdtemp(join(tmpdir(), 'envbox-site-'));
  await mkdir(join(site, 'node_modules', '@types'), { recursive: true });
  // What `npm install envbox` and `npm install -D typescript tsx @types/node` would give the site.
  await symlink(repoRoot, join(site, 'node_modules', 'envbox'));
  for (const dep of ['typescript', 'tsx']) await symlink(join(repoRoot, 'node_modules', dep), join(site, 'node_modules', dep));
  await symlink(join(repoRoot, 'node_modules', '@types', 'node'), join(site, 'node_modules', '@types', 'node'));
  const files = {
    'package.json': JSON.stringify({ name: 'site-envbox', type: 'module', private: true }),
    'tsconfig.json': TSCONFIG, 'site-plugin.mjs': PLUGIN_JS, 'site-plugin.test.mjs': TEST_JS,
    'region-plugin.ts': PLUGIN_TS, 'region-plugin.test.ts': TEST_TS, 'envbox.config.mjs': CONFIG,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(site, name), content);
});
after(() => (process.env.KEEP_SITE ? undefined : rm(site, { recursive: true, force: true })));

const tsc = () => join(site, 'node_modules', 'typescript', 'bin', 'tsc');
/** A clean env: the test runner's own NODE_TEST_CONTEXT would turn the inner runner's report into binary. */
const siteEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME });

describe('a site plugin in a project outside this repository', () => {
  it('typechecks with tsc (plain JS with @ts-check, and TypeScript) against the published types', async () => {
    await exec(process.execPath, [tsc(), '-p', join(site, 'tsconfig.json')], { cwd: site });
  });

  it('tsc refuses an in-place edit of the body: the body types are read-only', async () => {
    const bad = join(site, 'mutating.ts');
    await writeFile(bad, MUTATING_TS);
    try {
      await assert.rejects(exec(process.execPath, [tsc(), '-p', join(site, 'tsconfig.json')], { cwd: site }), (error: { stdout?: string }) => {
        assert.match(error.stdout ?? '', /mutating\.ts.*(read-only|readonly|only permits reading)/i);
        return true;
      });
    } finally {
      await rm(bad);
    }
  });

  it('its plain-JS test passes on envbox/testing with plain node (no loader)', async () => {
    const { stdout } = await exec(process.execPath, ['--test', '--test-reporter=tap', 'site-plugin.test.mjs'], { cwd: site, env: siteEnv() });
    assert.match(stdout, /# pass 1/);
  });

  it('its TypeScript test passes on envbox/testing (with tsx, as the site would run it)', async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'region-plugin.test.ts'], { cwd: site, env: siteEnv() });
    assert.match(stdout, /# pass 1/);
  });

  it('the real CLI loads it from the config with [path, options]: envbox plan shows its edits and actions', async () => {
    const env = { ...siteEnv(), CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder', ENVBOX_IMAGE_FACTS: FACTS };
    const { stdout } = await exec(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'plan'], { cwd: site, env });
    const plan = JSON.parse(stdout) as { container: { create: { Env: string[]; Labels: Record<string, string> } }; actions: { plugin: string; kind: string }[] };
    assert.ok(plan.container.create.Env.includes('SITE_TEAM=infra'));
    assert.equal(plan.container.create.Labels['com.example.team'], 'infra');
    assert.ok(plan.actions.some((a) => a.plugin === 'site' && a.kind === 'chmod'));
    assert.ok(plan.actions.some((a) => a.plugin === 'fuse' && a.kind === 'mknod'), 'options from the config reach the built-ins');
  });
});
