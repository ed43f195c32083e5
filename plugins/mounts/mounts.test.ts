import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Action, InputError } from 'envbox';
import { MemoryHost, runConfigure, runContainerSpec, ubuntuFacts } from 'envbox/testing';
import { mountsPlugin } from './index.js';
import { mounts } from './inputs.js';
import { isHomeDir, isPrivateTarget } from './policy.js';

const DEFAULT_BINDS = ['/var/lib/coder/docker:/var/lib/docker', '/var/lib/coder/containers:/var/lib/containers'];
const strip = (actions: Action[]) => actions.map(({ plugin, hook, ...a }) => a);

async function configure(env: Record<string, string>) {
  return (await runConfigure([mountsPlugin()], { env })).options;
}

describe('mounts plugin', () => {
  it('always mounts the workspace\'s docker and podman storage, and only mkdirs them (they are private)', async () => {
    const { body, actions } = await runContainerSpec([mountsPlugin()]);
    assert.deepEqual(body.HostConfig.Binds, DEFAULT_BINDS);
    assert.deepEqual(strip(actions), [
      { kind: 'mkdir', path: '/var/lib/coder/docker', mode: '0755' },
      { kind: 'mkdir', path: '/var/lib/coder/containers', mode: '0755' },
    ]);
  });

  it('appends CODER_MOUNTS after the defaults in order, keeping :ro (the original\'s Mounts case)', async () => {
    const user = ['/home/coder:/home/coder', '/etc/hosts:/etc/hosts:ro', '/etc/hostname:/idc/where:ro', '/usr/src:/a/b/c'];
    const host = new MemoryHost().dir('/home/coder').file('/etc/hosts').file('/etc/hostname').dir('/usr/src');
    const { body, actions } = await runContainerSpec([mountsPlugin()], {
      env: { CODER_MOUNTS: user.join(',') }, host, facts: { ...ubuntuFacts, uid: 1001, gid: 1001 },
    });
    assert.deepEqual(body.HostConfig.Binds, [...DEFAULT_BINDS, ...user]);
    assert.deepEqual(strip(actions).slice(2), [
      { kind: 'mkdir', path: '/home/coder', mode: '0755' },
      { kind: 'chmod', path: '/home/coder', mode: '02755' },
      { kind: 'chown', path: '/home/coder', uid: 101001, gid: 101001 },
      // /etc/hosts, /etc/hostname and /usr/src lie in the outer container's system dirs: bound untouched
    ]);
  });

  it('declares mkdir for a missing source so that dockerd does not create it owned by the host\'s root', async () => {
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/data/cache:/cache' } });
    assert.deepEqual(strip(actions).slice(2), [
      { kind: 'mkdir', path: '/data/cache', mode: '0755' },
      { kind: 'chmod', path: '/data/cache', mode: '02755' },
      { kind: 'chown', path: '/data/cache', uid: 100000, gid: 100000 },
    ]);
  });

  it('gives a home dir source (/root, /home/<name>) the image user\'s ids and anything else the workspace root', async () => {
    const { actions } = await runContainerSpec([mountsPlugin()], {
      env: { CODER_MOUNTS: '/root:/root,/home/dev/:/home/dev,/home/dev/src:/src,/homes/x:/x', ENVBOX_ID_OFFSET: '200000' },
      facts: { ...ubuntuFacts, uid: 1000, gid: 1001 },
    });
    const chowns = actions.filter((a) => a.kind === 'chown').map((a) => a.kind === 'chown' && [a.path, a.uid, a.gid]);
    assert.deepEqual(chowns, [
      ['/root', 201000, 201001],
      ['/home/dev', 201000, 201001],
      ['/home/dev/src', 200000, 200000],
      ['/homes/x', 200000, 200000],
    ]);
  });

  it('touches no private target\'s source beyond mkdir, whatever its source', async () => {
    const privates = ['/var/lib/containers', '/var/lib/docker', '/var/lib/sysbox', '/lib/modules', '/usr/src', '/var/lib/coder'];
    const env = { CODER_MOUNTS: privates.map((t, i) => `/src${i}:${t}:ro`).join(',') };
    const { body, actions } = await runContainerSpec([mountsPlugin()], { env });
    assert.deepEqual(new Set(actions.map((a) => a.kind)), new Set(['mkdir']));
    assert.deepEqual(body.HostConfig.Binds, privates.map((t, i) => `/src${i}:${t}:ro`));
  });

  it('lets a CODER_MOUNTS entry replace a default mount for the same target (later wins)', async () => {
    const { body } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/mnt/disk/docker:/var/lib/docker/' } });
    assert.deepEqual(body.HostConfig.Binds, ['/var/lib/coder/containers:/var/lib/containers', '/mnt/disk/docker:/var/lib/docker']);
  });

  it('replaces a bind that an earlier plugin made for the same target', async () => {
    const earlier = { Image: 'ubuntu', HostConfig: { Binds: ['/old:/data', '/keep:/keep'] } };
    const { body } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/new:/data:ro' }, body: earlier });
    assert.deepEqual(body.HostConfig.Binds, ['/keep:/keep', ...DEFAULT_BINDS, '/new:/data:ro']);
  });

  it('declares the same actions whatever the host holds, so that plan and docker agree (the executor skips what exists)', async () => {
    const env = { CODER_MOUNTS: '/srv/resolv.conf:/etc/resolv.conf:ro' };
    const bare = await runContainerSpec([mountsPlugin()], { env });
    const populated = await runContainerSpec([mountsPlugin()], { env, host: new MemoryHost().file('/srv/resolv.conf').mount('/srv/resolv.conf') });
    assert.deepEqual(populated.actions, bare.actions);
    assert.deepEqual(strip(bare.actions).slice(2).map((a) => a.kind), ['mkdir', 'remount', 'chmod', 'chown']);
  });

  it('is idempotent: applying the plugin again to its own result leaves one bind per target', async () => {
    const once = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/a:/a' } });
    const { body } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/a:/a' }, body: once.body });
    assert.deepEqual(body.HostConfig.Binds, [...DEFAULT_BINDS, '/a:/a']);
  });

  it('declares a recursive owner shift after the top chown for a :chown mount, and keeps :ro inside', async () => {
    const { body, actions } = await runContainerSpec([mountsPlugin()], {
      env: { CODER_MOUNTS: '/home/coder:/home/coder:chown,/data:/data:ro:chown', ENVBOX_ID_OFFSET: '200000' }, runtime: 'runc',
    });
    assert.deepEqual(body.HostConfig.Binds, [...DEFAULT_BINDS, '/home/coder:/home/coder', '/data:/data:ro']);
    assert.deepEqual(strip(actions).slice(2), [
      { kind: 'mkdir', path: '/home/coder', mode: '0755' },
      { kind: 'chmod', path: '/home/coder', mode: '02755' },
      { kind: 'chown', path: '/home/coder', uid: 201000, gid: 201000 },
      { kind: 'shiftOwners', path: '/home/coder', offset: 200000, below: 65536 },
      { kind: 'mkdir', path: '/data', mode: '0755' },
      { kind: 'remount', path: '/data', options: 'rw' },
      { kind: 'chmod', path: '/data', mode: '02755' },
      { kind: 'chown', path: '/data', uid: 200000, gid: 200000 },
      { kind: 'shiftOwners', path: '/data', offset: 200000, below: 65536 },
    ]);
  });

  it('steps aside for :chown under sysbox-runc with idmapped mounts, and shifts when they are disabled', async () => {
    const env = { CODER_MOUNTS: '/home/coder:/home/coder:chown' };
    const idmapped = await runContainerSpec([mountsPlugin()], { env, runtime: 'sysbox-runc' });
    assert.equal(idmapped.actions.some((a) => a.kind === 'shiftOwners'), false);
    const disabled = await runContainerSpec([mountsPlugin()], { env: { ...env, CODER_DISABLE_IDMAPPED_MOUNT: 'true' }, runtime: 'sysbox-runc' });
    assert.equal(disabled.actions.filter((a) => a.kind === 'shiftOwners').length, 1);
  });

  it('accepts a valid list in configure and returns the options unchanged', async () => {
    const options = await configure({ CODER_MOUNTS: '/a:/a,/b:/b:ro' });
    assert.deepEqual(options.get(mounts), [
      { source: '/a', target: '/a', readOnly: false },
      { source: '/b', target: '/b', readOnly: true },
    ]);
  });

  for (const [name, value, pattern] of [
    ['the root target', '/a:/a,/data:/', /entry 2 \("\/data:\/"\) has the target "\/"; it would mount over the workspace's root "\/"/],
    ['a duplicate target', '/a:/x,/b:/y,/c:/x/:ro', /entry 3 \("\/c:\/x\/:ro"\) has the target "\/x" that entry 1 already uses/],
    ['chown inside a system dir', '/etc/ssl:/etc/ssl:ro:chown', /entry 1 \("\/etc\/ssl:\/etc\/ssl:ro:chown"\): :chown on "\/etc\/ssl" would shift owners inside a system directory of the outer container/],
    ['chown on a private target', '/mnt/d:/var/lib/docker:chown', /entry 1 \("\/mnt\/d:\/var\/lib\/docker:chown"\) asks to chown "\/var\/lib\/docker", whose source belongs to envbox/],
  ] as const) {
    it(`rejects ${name} in configure as an InputError naming CODER_MOUNTS and the entry`, async () => {
      await assert.rejects(configure({ CODER_MOUNTS: value }), (error: unknown) => {
        // an InputError passes the hook facade unwrapped, so that envbox exits 2
        assert.ok(error instanceof InputError);
        assert.equal(error.problems.length, 1);
        assert.match(error.message, /^CODER_MOUNTS: .+\. Example: CODER_MOUNTS=\/home\/coder:\/home\/coder,.+$/);
        assert.match(error.message, pattern);
        return true;
      });
    });
  }

  it('refuses :chown on a dir that holds dockerd\'s data root, or lies inside it', async () => {
    for (const value of ['/data:/data:chown', '/data/docker/x:/x:chown']) {
      await assert.rejects(configure({ CODER_MOUNTS: value, ENVBOX_DOCKER_DATA_ROOT: '/data/docker' }),
        (error: unknown) => error instanceof InputError && /:chown on "[^"]+" would shift the owners of \/data\/docker, which envbox's dockerd uses/.test(error.message));
    }
  });

  it('judges a source by where its links lead: a link into a system dir is refused in configure, as the dir itself', async () => {
    const host = new MemoryHost().dir('/etc/ssl/certs').dir('/var/lib').symlink('/data', '/etc').symlink('/mnt/v', '/var').symlink('/ssl', '/etc/ssl');
    for (const [value, pattern] of [
      ['/data:/data', /entry 1 \("\/data:\/data"\) has the source "\/data" \(a link to "\/etc"\), a system directory of the outer container/],
      ['/mnt/v/lib:/x', /has the source "\/mnt\/v\/lib" \(a link to "\/var\/lib"\), a system directory/],
      ['/ssl/certs:/certs:chown', /:chown on "\/ssl\/certs" \(a link to "\/etc\/ssl\/certs"\) would shift owners inside a system directory/],
    ] as const) {
      await assert.rejects(runConfigure([mountsPlugin()], { env: { CODER_MOUNTS: value }, host }), (error: unknown) => error instanceof InputError && pattern.test(error.message));
    }
  });

  it('binds a link that leads below a system dir untouched, as the dir itself', async () => {
    const host = new MemoryHost().dir('/etc/ssl/certs').symlink('/certs', '/etc/ssl/certs');
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/certs:/certs:ro' }, host });
    assert.deepEqual(strip(actions).slice(2), []);
  });

  it('judges a missing source behind a link by where it would be created: /l/new with /l -> /etc gets the answer /etc/new gets', async () => {
    const host = new MemoryHost().dir('/etc').dir('/home/coder/vol').symlink('/home/coder/vol/l', '/etc').symlink('/home/coder/vol/d', '/etc/not-yet');
    for (const source of ['/etc/new', '/home/coder/vol/l/new', '/home/coder/vol/l/new/deeper', '/home/coder/vol/d']) {
      const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: `${source}:/x` }, host });
      assert.deepEqual(strip(actions).slice(2), [], `${source} must be bound untouched, with no mkdir, chmod or chown`);
    }
    await assert.rejects(runConfigure([mountsPlugin()], { env: { CODER_MOUNTS: '/home/coder/vol/l/new:/x:chown' }, host }),
      (error: unknown) => error instanceof InputError && /:chown on "\/home\/coder\/vol\/l\/new" \(a link to "\/etc\/new"\) would shift owners inside a system directory/.test(error.message));
    // where the link leads nowhere special, the missing source is still made the workspace's
    const elsewhere = new MemoryHost().dir('/data').symlink('/mnt/l', '/data');
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/mnt/l/new:/x' }, host: elsewhere });
    assert.deepEqual(strip(actions).slice(2).map((a) => a.kind), ['mkdir', 'chmod', 'chown']);
  });

  it('refuses envbox\'s own install and the parents /opt and /home as sources; /opt/<other> and /home/<user> stay usable', async () => {
    for (const source of ['/opt', '/opt/envbox', '/envbox', '/home', '/home/']) {
      await assert.rejects(configure({ CODER_MOUNTS: `${source}:/x` }),
        (error: unknown) => error instanceof InputError && /has the source "[^"]+", a system directory of the outer container/.test(error.message), source);
    }
    await assert.rejects(configure({ CODER_MOUNTS: '/opt/envbox/lib:/x:chown' }), /would shift owners inside a system directory/);
    const { actions } = await runContainerSpec([mountsPlugin()], { env: { CODER_MOUNTS: '/opt/envbox/lib:/a:ro,/opt/tools:/b,/home/coder:/home/coder' }, facts: { ...ubuntuFacts, uid: 1000, gid: 1000 } });
    assert.deepEqual(strip(actions).slice(2), [
      { kind: 'mkdir', path: '/opt/tools', mode: '0755' },
      { kind: 'chmod', path: '/opt/tools', mode: '02755' },
      { kind: 'chown', path: '/opt/tools', uid: 100000, gid: 100000 },
      { kind: 'mkdir', path: '/home/coder', mode: '0755' },
      { kind: 'chmod', path: '/home/coder', mode: '02755' },
      { kind: 'chown', path: '/home/coder', uid: 101000, gid: 101000 },
    ]);
  });

  it('classifies home dirs and private targets like the original (isHomeDir, isPrivateMount)', () => {
    assert.deepEqual(['/root', '/home/coder', '/home/coder/', '/home', '/home/', '/home/a/b', '/root/x', '/var/home/a'].map(isHomeDir),
      [true, true, true, false, false, false, false, false]);
    assert.deepEqual(['/var/lib/docker', '/var/lib/docker/', '/var/lib/docker/x', '/usr/src', '/lib/modules', '/var/lib/coder', '/home/coder'].map(isPrivateTarget),
      [true, true, false, true, true, true, false]);
  });
});
