import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { runCommand, type CommandIo } from '../cli/commands.js';
import { SecretScrubber } from '../core/kernel/scrub.js';

const TOKEN = 'tok-Very-Secret-4711';
const FACTS = JSON.stringify({ uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' });
const repoFile = (path: string) => pathToFileURL(join(import.meta.dirname, '..', path)).href;

const roots: string[] = [];
after(async () => { await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))); });

async function project(config: string, files: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'envbox-cli-'));
  roots.push(root);
  for (const [path, content] of Object.entries({ 'package.json': '{ "name": "site" }', 'envbox.config.mjs': config, ...files })) {
    await writeFile(join(root, path), content);
  }
  return root;
}

function io(cwd: string): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    cwd, secrets: new SecretScrubber(),
    stdout: { write: (text: string) => { out += text; return true; } },
    stderr: { write: (text: string) => { err += text; return true; } },
    out: () => out, err: () => err,
  };
}

/** A site plugin whose error quotes the container's Env, as a careless POLICY check would. */
const QUOTING_PLUGIN = `export default { plugins: [{ name: 'site-policy', apply({ hooks, stages }) {
  hooks.containerSpec.tap({ stage: stages.POLICY }, (body) => { throw new Error('refusing ' + JSON.stringify(body.Env)); });
} }] };\n`;

describe('the CLI writes every byte through one scrubber', () => {
  const env = { CODER_INNER_IMAGE: 'ubuntu', CODER_INNER_USERNAME: 'coder', CODER_AGENT_TOKEN: TOKEN, ENVBOX_IMAGE_FACTS: FACTS };

  it('plan: an error thrown by a site plugin that quotes the Env is printed without the token (it was printed raw)', async () => {
    const cli = io(await project(QUOTING_PLUGIN));
    assert.equal(await runCommand('plan', [], env, cli), 1);
    assert.match(cli.err(), /plugin \\"site-policy\\" failed in hook \\"containerSpec\\": refusing/);
    assert.match(cli.err(), /CODER_AGENT_TOKEN=\[redacted\]/);
    assert.ok(!cli.err().includes(TOKEN) && !cli.out().includes(TOKEN));
  });

  it('plan names a site plugin that reads a setting from process.env that no input declares, once', async () => {
    const cli = io(await project(`export default { plugins: [{ name: 'site-zone', apply({ hooks }) {
      hooks.containerSpec.tap((body) => { void process.env.SITE_ZONE; void process.env.SITE_ZONE; void process.env.HOME; return body; });
    } }] };\n`));
    assert.equal(await runCommand('plan', [], env, cli), 0);
    const warnings = cli.err().split('\n').filter((line) => line.includes('Warning: plugin'));
    assert.equal(warnings.length, 1, cli.err());
    assert.match(warnings[0]!, /plugin \\"site-zone\\" read process\.env\.SITE_ZONE in containerSpec, which no input declares/);
  });

  it('docker: a configure error quoting the token reaches neither stderr nor the termination log', async () => {
    const root = await project(`export default { plugins: [{ name: 'site-check', apply({ hooks }) {
      hooks.configure.tap((options) => { throw new Error('bad token ' + process.env.PROBE_TOKEN); });
    } }] };\n`);
    const terminationLog = join(root, 'termination-log');
    process.env.PROBE_TOKEN = TOKEN;
    try {
      const cli = io(root);
      assert.equal(await runCommand('docker', [], { ...env, ENVBOX_TERMINATION_LOG: terminationLog }, cli), 1);
      assert.match(cli.err(), /plugin \\"site-check\\" failed in hook \\"configure\\": bad token \[redacted\]/);
      assert.ok(!cli.err().includes(TOKEN));
      const written = await readFile(terminationLog, 'utf8');
      assert.match(written, /bad token \[redacted\]/);
      assert.ok(!written.includes(TOKEN));
    } finally {
      delete process.env.PROBE_TOKEN;
    }
  });
});

describe('--help', () => {
  it("lists the inputs that the config's site plugins add, and leaves out those of disabled built-ins", async () => {
    const root = await project("export default { plugins: ['./site.mjs'], disable: ['gpu'] };\n", {
      'site.mjs': `import { defineInput } from ${JSON.stringify(repoFile('core/kernel/inputs/define.ts'))};
import { stringInput } from ${JSON.stringify(repoFile('core/kernel/inputs/input-kinds.ts'))};
export default { name: 'site-greeter', inputs: [defineInput({ key: 'siteGreeting', env: 'SITE_GREETING', flag: 'greeting', schema: stringInput,
  description: 'What the site says.', example: 'hi' })], apply() {} };\n`,
    });
    const cli = io(root);
    assert.equal(await runCommand('docker', ['--help'], {}, cli), 0);
    assert.match(cli.out(), /--greeting=VALUE\n {6}SITE_GREETING: What the site says\./);
    assert.doesNotMatch(cli.out(), /CODER_ADD_GPU/);
    assert.match(cli.out(), /CODER_ADD_FUSE/);
  });
});
