import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envName, formatBind, parseBind, withBind, withDevice, withDeviceCgroupRule, withEnv, withHostConfig } from './edits.js';
import type { ContainerCreateBody } from './types.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** A frozen body, so that any mutation by a helper throws (ESM is strict mode). */
function body(fields: Partial<ContainerCreateBody> = {}, hostConfig: ContainerCreateBody['HostConfig'] = {}): ContainerCreateBody {
  return deepFreeze({ Image: 'ubuntu', Env: ['A=1'], ...fields, HostConfig: { Runtime: 'sysbox-runc', ...hostConfig } });
}

/** Applies an edit to a frozen copy and checks the input is unchanged and applying it again changes nothing. */
function pureAndIdempotent(input: ContainerCreateBody, edit: (b: ContainerCreateBody) => ContainerCreateBody): ContainerCreateBody {
  const before = structuredClone(input);
  const once = edit(input);
  assert.deepEqual(input, before, 'the input body was changed');
  assert.deepEqual(edit(deepFreeze(once)), once, 'applying the edit twice changed the body again');
  return once;
}

describe('binds', () => {
  it('formatBind and parseBind are inverses, with :ro for read-only', () => {
    assert.equal(formatBind({ source: '/a', target: '/b' }), '/a:/b');
    assert.equal(formatBind({ source: '/a', target: '/b', readOnly: true }), '/a:/b:ro');
    assert.deepEqual(parseBind('/a:/b:ro'), { source: '/a', target: '/b', readOnly: true });
    assert.deepEqual(parseBind('/a:/b'), { source: '/a', target: '/b', readOnly: false });
    assert.deepEqual(parseBind('/a:/b:rw'), { source: '/a', target: '/b', readOnly: false });
    assert.deepEqual(parseBind('/a:/b:z,ro'), { source: '/a', target: '/b', readOnly: true });
  });

  it('withBind adds a bind, creating the list when there is none', () => {
    const out = pureAndIdempotent(body(), (b) => withBind(b, { source: '/var/coder/home', target: '/home/coder' }));
    assert.deepEqual(out.HostConfig.Binds, ['/var/coder/home:/home/coder']);
    assert.equal(out.HostConfig.Runtime, 'sysbox-runc');
    assert.deepEqual(out.Env, ['A=1']);
  });

  it('withBind is keyed by target: a later bind for the same target replaces the earlier one, others stay', () => {
    const input = body({}, { Binds: ['/old:/home/coder', '/x:/x:ro'] });
    const out = pureAndIdempotent(input, (b) => withBind(b, { source: '/new', target: '/home/coder', readOnly: true }));
    assert.deepEqual(out.HostConfig.Binds, ['/x:/x:ro', '/new:/home/coder:ro']);
  });

  it('withBind keeps binds whose source equals the new target', () => {
    const out = withBind(body({}, { Binds: ['/data:/mnt'] }), { source: '/mnt', target: '/data' });
    assert.deepEqual(out.HostConfig.Binds, ['/data:/mnt', '/mnt:/data']);
  });
});

describe('withDevice', () => {
  const fuse = { PathOnHost: '/tmp/coder-fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' };

  it('adds a device mapping as a copy', () => {
    const out = pureAndIdempotent(body(), (b) => withDevice(b, fuse));
    assert.deepEqual(out.HostConfig.Devices, [fuse]);
    assert.notEqual(out.HostConfig.Devices?.[0], fuse);
  });

  it('is keyed by the path in the container: the later mapping wins', () => {
    const input = body({}, { Devices: [{ ...fuse, PathOnHost: '/dev/fuse' }, { PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rw' }] });
    const out = pureAndIdempotent(input, (b) => withDevice(b, fuse));
    assert.deepEqual(out.HostConfig.Devices?.map((d) => [d.PathInContainer, d.PathOnHost]), [['/dev/kvm', '/dev/kvm'], ['/dev/fuse', '/tmp/coder-fuse']]);
  });
});

describe('withDeviceCgroupRule', () => {
  it('adds a rule once', () => {
    const out = pureAndIdempotent(body({}, { DeviceCgroupRules: ['c 10:200 rwm'] }), (b) => withDeviceCgroupRule(b, 'c 10:229 rwm'));
    assert.deepEqual(out.HostConfig.DeviceCgroupRules, ['c 10:200 rwm', 'c 10:229 rwm']);
  });

  it('creates the list when there is none', () => {
    assert.deepEqual(withDeviceCgroupRule(body(), 'c 195:* rwm').HostConfig.DeviceCgroupRules, ['c 195:* rwm']);
  });
});

describe('withEnv', () => {
  it('appends a new variable', () => {
    const out = pureAndIdempotent(body(), (b) => withEnv(b, 'NVIDIA_VISIBLE_DEVICES', 'all'));
    assert.deepEqual(out.Env, ['A=1', 'NVIDIA_VISIBLE_DEVICES=all']);
  });

  it('replaces an earlier value for the same name in place: the later value wins', () => {
    const input = body({ Env: ['A=1', 'B=2', 'C=3'] });
    const out = pureAndIdempotent(input, (b) => withEnv(b, 'B', 'two'));
    assert.deepEqual(out.Env, ['A=1', 'B=two', 'C=3']);
  });

  it('matches whole names only, and keeps "=" inside values', () => {
    const out = withEnv(body({ Env: ['PATH_EXTRA=x', 'PATH=/bin'] }), 'PATH', '/usr/bin:/bin');
    assert.deepEqual(out.Env, ['PATH_EXTRA=x', 'PATH=/usr/bin:/bin']);
    assert.deepEqual(withEnv(body(), 'OPTS', 'a=b=c').Env, ['A=1', 'OPTS=a=b=c']);
  });

  it('replaces a bare NAME entry, and creates Env when there is none', () => {
    assert.deepEqual(withEnv(body({ Env: ['FOO'] }), 'FOO', 'bar').Env, ['FOO=bar']);
    const noEnv = deepFreeze({ Image: 'ubuntu', HostConfig: {} });
    assert.deepEqual(withEnv(noEnv, 'X', '1').Env, ['X=1']);
  });

  it('leaves no stale duplicate of the name behind (dockerd applies duplicates in order, so the last one would win)', () => {
    const out = withEnv(body({ Env: ['A=1', 'A=2'] }), 'A', '3');
    assert.deepEqual(out.Env?.filter((e) => envName(e) === 'A'), ['A=3']);
  });

  it('envName is the part before the first "="', () => {
    assert.equal(envName('A=b=c'), 'A');
    assert.equal(envName('BARE'), 'BARE');
    assert.equal(envName('=x'), '');
  });
});

describe('withHostConfig', () => {
  it('merges fields into HostConfig, keeping the others', () => {
    const out = pureAndIdempotent(body({}, { Binds: ['/a:/a'], Memory: 1 }), (b) => withHostConfig(b, { Memory: 2 ** 30, CpuQuota: 150000 }));
    assert.deepEqual(out.HostConfig, { Runtime: 'sysbox-runc', Binds: ['/a:/a'], Memory: 2 ** 30, CpuQuota: 150000 });
    assert.deepEqual(out.Env, ['A=1']);
  });
});
