import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ipv4CidrInput } from '../../kernel/inputs/input-kinds.js';
import { MemoryHost } from '../../../testing/memory-host.js';
import { dockerdArgv, usesCgroup2, wrapForCgroup2, type DaemonArgvInput } from './argv.js';

const PATHS = { socket: '/var/run/docker.sock', dataRoot: '/var/lib/docker', execRoot: '/var/run/docker', pidfile: '/var/run/docker.pid' };

function input(more: Partial<DaemonArgvInput> = {}): DaemonArgvInput {
  return { paths: PATHS, bridge: ipv4CidrInput.parse('172.19.0.0/30'), usernsUser: 'coder', mtu: 1400, debug: false, ...more };
}

describe('dockerdArgv', () => {
  it('builds the normal command line: overlay2 on the data root, userns remap, bridge and MTU', () => {
    assert.deepEqual(dockerdArgv(input()), [
      'dockerd',
      '--host=unix:///var/run/docker.sock',
      '--data-root=/var/lib/docker',
      '--exec-root=/var/run/docker',
      '--pidfile=/var/run/docker.pid',
      '--userns-remap=coder',
      '--storage-driver=overlay2',
      '--bip=172.19.0.1/30',
      '--mtu=1400',
    ]);
  });

  it('runs dockerd at debug level only with CODER_DEBUG, since at debug level it logs request bodies (the Env with the agent token)', () => {
    const quiet = dockerdArgv(input());
    assert.ok(!quiet.some((a) => a === '--debug' || a.startsWith('--log-level')), quiet.join(' '));
    const debug = dockerdArgv(input({ debug: true }));
    assert.deepEqual(debug.slice(1, 3), ['--debug', '--log-level=debug']);
    assert.deepEqual(debug.filter((a) => !quiet.includes(a)), ['--debug', '--log-level=debug']);
  });

  it('after a full disk uses vfs on the fallback data root, keeping everything else', () => {
    const normal = dockerdArgv(input());
    const fallback = dockerdArgv(input({ fallbackDataRoot: '/var/lib/docker.bak' }));
    assert.ok(fallback.includes('--data-root=/var/lib/docker.bak'));
    assert.ok(fallback.includes('--storage-driver=vfs'));
    assert.ok(!fallback.includes('--data-root=/var/lib/docker'));
    assert.ok(!fallback.includes('--storage-driver=overlay2'));
    const unchanged = (argv: string[]) => argv.filter((a) => !a.startsWith('--data-root=') && !a.startsWith('--storage-driver='));
    assert.deepEqual(unchanged(fallback), unchanged(normal));
  });

  it('omits --mtu when the link is missing, so dockerd keeps its default', () => {
    const argv = dockerdArgv(input({ mtu: null }));
    assert.ok(!argv.some((a) => a.startsWith('--mtu')), argv.join(' '));
    assert.equal(argv.length, dockerdArgv(input()).length - 1);
  });

  it('takes --bip from the first host of the CIDR, whatever address the CIDR was written with', () => {
    const argv = dockerdArgv(input({ bridge: ipv4CidrInput.parse('10.200.7.99/24') }));
    assert.ok(argv.includes('--bip=10.200.7.1/24'), argv.join(' '));
  });

  it('names the socket, exec root, pidfile and userns user it is given', () => {
    const argv = dockerdArgv(input({
      paths: { socket: '/run/e/d.sock', dataRoot: '/d', execRoot: '/run/e/exec', pidfile: '/run/e/d.pid' },
      usernsUser: 'dockremap',
    }));
    for (const expected of ['--host=unix:///run/e/d.sock', '--data-root=/d', '--exec-root=/run/e/exec', '--pidfile=/run/e/d.pid', '--userns-remap=dockremap']) {
      assert.ok(argv.includes(expected), `${expected} missing from ${argv.join(' ')}`);
    }
  });
});

describe('wrapForCgroup2', () => {
  it('runs a shell script in a new cgroup namespace that execs the original program with its arguments', () => {
    const wrapped = wrapForCgroup2(['dockerd', '--debug', '--mtu=1400']);
    assert.deepEqual(wrapped.slice(0, 4), ['unshare', '--cgroup', '/bin/sh', '-c']);
    assert.deepEqual(wrapped.slice(5), ['dockerd', '--debug', '--mtu=1400']);
    const script = wrapped[4]!;
    assert.match(script, /^if \[ -f \/sys\/fs\/cgroup\/cgroup\.controllers \]; then/);
    assert.match(script, /exec "\$0" "\$@"$/);
  });

  it('keeps a program path other than dockerd as $0', () => {
    assert.deepEqual(wrapForCgroup2(['/usr/local/bin/dockerd']).slice(5), ['/usr/local/bin/dockerd']);
  });

  it('gives a script that sh parses (syntax check only, nothing is run)', () => {
    const script = wrapForCgroup2(['dockerd'])[4]!;
    execFileSync('sh', ['-n', '-c', script]);
  });
});

describe('usesCgroup2', () => {
  it('is true when cgroup.controllers exists under the cgroup root', async () => {
    assert.equal(await usesCgroup2(new MemoryHost().file('/sys/fs/cgroup/cgroup.controllers', 'cpu memory'), '/sys/fs/cgroup'), true);
  });

  it('is false on a v1 tree', async () => {
    const v1 = new MemoryHost().file('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '-1').dir('/sys/fs/cgroup/memory');
    assert.equal(await usesCgroup2(v1, '/sys/fs/cgroup'), false);
  });

  it('looks under the cgroup root it is given', async () => {
    const host = new MemoryHost().file('/custom/cg/cgroup.controllers', '');
    assert.equal(await usesCgroup2(host, '/custom/cg'), true);
    assert.equal(await usesCgroup2(host, '/sys/fs/cgroup'), false);
  });
});
