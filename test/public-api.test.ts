import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import {
  certsDir, defineInput, deviceDir, deviceNodePlugin, escapeControlCharacters, extraCertsPath, HOST_READ_LIMIT_BYTES, ID_RANGE_SIZE,
  inputKinds, isAtOrBelow, isInSystemDir, isNotReadable, isProtectedDir, LOG_FLUSH_MS, messageOf, normalizePath, openRegularNoFollow,
  quoteBounded, readBounded, readRegularFile, readSmallFile, registryAuthKeys, resolveAsCreated, schemeSlashesProblem, secretLeaves,
  trustExtraCerts, UnsafeFileError, urlPassword, urlSecretForms, userinfoOf, userinfoReadingsDiffer, UserinfoError, type EnvboxPlugin,
} from 'envbox';
import { FakeDocker, MemoryHost, runContainerSpec, runPrePull } from 'envbox/testing';

// What the built-in plugins use from the core, reached as a site plugin reaches it.

describe('public API: plugin building blocks', () => {
  it('deviceNodePlugin makes a site\'s own character device as fuse and tun are made', async () => {
    const enabled = defineInput({ key: 'addKvmNode', env: 'SITE_ADD_NODE', flag: 'site-add-node', schema: inputKinds.booleanInput, default: false, boolean: true, description: 'test', example: 'true' });
    const plugin = deviceNodePlugin({ name: 'site-node', enabled, fileName: 'site-node', node: { containerPath: '/dev/site', major: 10, minor: 232 }, capability: 'SYS_ADMIN' });
    assert.deepEqual(plugin.inputs, [enabled, deviceDir]);
    const { body, actions } = await runContainerSpec([plugin], { env: { SITE_ADD_NODE: 'true', ENVBOX_DEVICE_DIR: '/run/dev' } });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/run/dev/site-node', PathInContainer: '/dev/site', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(actions.map((a) => a.kind), ['mknod', 'chown']);
  });

  it('trustExtraCerts declares the copies of CODER_EXTRA_CERTS_PATH for any registry host a site plugin names', async () => {
    const plugin: EnvboxPlugin = {
      name: 'site-registry', inputs: [extraCertsPath, certsDir],
      apply({ hooks }) { hooks.prePull.tap(async (pull, ctx) => { await trustExtraCerts(ctx, 'cache.site.example:5000'); return pull; }); },
    };
    const host = new MemoryHost().file('/certs/ca.pem', 'pem');
    const { actions } = await runPrePull([plugin], { env: { CODER_EXTRA_CERTS_PATH: '/certs/ca.pem' }, host });
    assert.deepEqual(actions.map(({ plugin: _p, hook: _h, ...a }) => a), [
      { kind: 'mkdir', path: '/etc/docker/certs.d/cache.site.example:5000', mode: '0755' },
      { kind: 'copyFile', from: '/certs/ca.pem', to: '/etc/docker/certs.d/cache.site.example:5000/ca.crt', mode: '0644' },
    ]);
    const unset = await runPrePull([plugin], { host });
    assert.deepEqual(unset.actions, []);
  });

  it('readSmallFile reads a file of a container whole, null when absent, and refuses one past its bound', async () => {
    const docker = new FakeDocker();
    docker.files['/etc/site.json'] = '{"a":1}';
    assert.equal((await readSmallFile(docker, 'c1', '/etc/site.json'))?.toString(), '{"a":1}');
    assert.equal(await readSmallFile(docker, 'c1', '/etc/none.json'), null);
    await assert.rejects(readSmallFile(docker, 'c1', '/etc/site.json', 3), /larger than 3 bytes/);
  });

  it('registryAuthKeys names every key a docker config may file a registry under', () => {
    assert.deepEqual(registryAuthKeys('docker.io'), ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']);
    assert.deepEqual(registryAuthKeys('r.example:5000'), ['r.example:5000', 'https://r.example:5000', 'http://r.example:5000']);
  });

  it('secretLeaves keeps every string of a secret but a credential\'s public fields', () => {
    assert.deepEqual(secretLeaves({ auths: { r: { username: 'coder', auth: 'czNjcjN0', identitytoken: 't0k' } }, note: '' }), ['czNjcjN0', 't0k']);
  });

  it('the URL password helpers find a password in every form it takes, and refuse URLs whose parsers disagree', () => {
    assert.equal(userinfoOf('http://u:p%40ss@proxy:3128'), 'u:p%40ss');
    assert.ok(urlSecretForms('http://u:p%40ss@proxy:3128').includes('p@ss'));
    assert.ok(!(urlPassword('http://u:pw@proxy:3128') instanceof UserinfoError));
    assert.equal(schemeSlashesProblem('http://proxy:3128'), null);
    assert.notEqual(schemeSlashesProblem('http:/proxy:3128'), null);
    assert.equal(userinfoReadingsDiffer('http://proxy:3128'), false);
  });

  it('messageOf gives the text of any rejection value', () => {
    assert.equal(messageOf(new Error('boom')), 'boom');
    assert.equal(messageOf('plain'), 'plain');
  });

  it('the constants a plugin sizes itself by', () => {
    assert.equal(HOST_READ_LIMIT_BYTES, 4 * 1024 * 1024);
    assert.equal(ID_RANGE_SIZE, 65536);
    assert.ok(Number.isInteger(LOG_FLUSH_MS) && LOG_FLUSH_MS > 0);
  });
});

describe('public API: hostile files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'envbox-public-api-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'small.txt'), 'hello');
  symlinkSync('/etc/passwd', join(dir, 'link'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);

  it('reads a regular file, bounded, and never follows a link or blocks on a FIFO', async () => {
    assert.equal((await readBounded(join(dir, 'small.txt'), 5)).toString(), 'hello');
    await assert.rejects(readBounded(join(dir, 'small.txt'), 4), UnsafeFileError);
    await assert.rejects(readBounded(join(dir, 'link'), 1 << 20), (e: unknown) => e instanceof UnsafeFileError && /symbolic link/.test(e.message));
    await assert.rejects(openRegularNoFollow(join(dir, 'fifo')), (e: unknown) => e instanceof UnsafeFileError && /FIFO/.test(e.message));
  });

  it('readRegularFile turns trouble into a problem to warn about, and absence into null', async () => {
    assert.equal(await readRegularFile(join(dir, 'small.txt'), 100), 'hello');
    assert.equal(await readRegularFile(join(dir, 'none'), 100), null);
    const fifo = await readRegularFile(join(dir, 'fifo'), 100);
    assert.ok(isNotReadable(fifo) && /FIFO/.test(fifo.problem));
    assert.ok(isNotReadable(await readRegularFile(join(dir, 'link'), 100)));
  });

  it('resolveAsCreated judges a path that does not exist yet by where its links lead', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'to-real'));
    const host = {
      realpath: async (p: string) => { try { return realpathSync(p); } catch { return null; } },
      readlink: async (p: string) => { try { return readlinkSync(p); } catch { return null; } },
    };
    assert.equal(await resolveAsCreated(host, join(dir, 'to-real/new/file')), join(realpathSync(dir), 'real/new/file'));
  });

  it('the system-dir checks see through `..` and trailing slashes', () => {
    assert.equal(normalizePath('/home//coder/../x/'), '/home/x');
    assert.ok(isAtOrBelow('/var/lib/../lib/coder/x', '/var/lib/coder'));
    assert.ok(!isAtOrBelow('/var/lib/coderx', '/var/lib/coder'));
    assert.ok(isInSystemDir('/etc/ssl/certs'));
    assert.ok(isProtectedDir('/tmp/'));
    assert.ok(!isProtectedDir('/home/coder'));
  });

  it('text the workspace printed is escaped and bounded before a human sees it', () => {
    assert.equal(escapeControlCharacters('a\u001b]52;c;x\u0007b'), 'a\\x1b]52;c;x\\x07b');
    assert.equal(escapeControlCharacters('a\nb', { keepLayout: true }), 'a\nb');
    assert.equal(quoteBounded('abcdef', 3), 'abc... (3 more characters)');
  });
});
