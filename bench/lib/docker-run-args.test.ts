import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerRunArgs } from './docker-run-args.js';

describe('dockerRunArgs', () => {
  test('every field envbox sets becomes its docker run flag, image and command last', () => {
    const args = dockerRunArgs('workspace_cvm', {
      Image: 'registry.test:5000/workspace:init',
      User: 'root',
      Hostname: 'workspace_cvm',
      Entrypoint: ['sleep', 'infinity'],
      Cmd: [],
      Tty: false,
      Env: ['A=1', 'B=x=y'],
      HostConfig: {
        Runtime: 'runc', AutoRemove: true, ExtraHosts: ['host.docker.internal:host-gateway'],
        Binds: ['/home/coder:/home/coder', '/s:/t:ro'], DeviceCgroupRules: ['c 10:229 rwm'],
        Devices: [{ PathOnHost: '/tmp/coder-tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
        Memory: 1073741824, CpuPeriod: 100000, CpuQuota: 100000,
      },
    });
    assert.deepEqual(args, [
      '--name', 'workspace_cvm', '--user', 'root', '--hostname', 'workspace_cvm', '--env', 'A=1', '--env', 'B=x=y',
      '--runtime', 'runc', '--rm', '--add-host', 'host.docker.internal:host-gateway',
      '-v', '/home/coder:/home/coder', '-v', '/s:/t:ro', '--device-cgroup-rule', 'c 10:229 rwm',
      '--device', '/tmp/coder-tun:/dev/net/tun:rwm',
      '--memory', '1073741824', '--cpu-period', '100000', '--cpu-quota', '100000',
      '--entrypoint', 'sleep', 'registry.test:5000/workspace:init', 'infinity',
    ]);
  });

  test('a field it cannot express is an error, not a silent omission', () => {
    assert.throws(() => dockerRunArgs('x', { Image: 'i', Labels: { a: 'b' } }), /no docker run flag for Labels/);
    assert.throws(() => dockerRunArgs('x', { Image: 'i', HostConfig: { CapAdd: ['SYS_ADMIN'] } }), /HostConfig\.CapAdd/);
  });
});
