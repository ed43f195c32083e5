import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvboxError } from '../kernel/errors.js';
import { findPasswdEntry, findPasswdEntryInStream, osReleaseId, PASSWD_LIMITS, probeImageFacts, resolveImageFacts } from './read-image-facts.js';
import type { ContainerCreateBody } from '../kernel/container-spec/types.js';
import { FakeDocker } from '../../testing/fake-docker.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'coder2:x:2000:2000::/home/coder2:/bin/sh',
  'coder:x:1000:1001:Coder:/home/coder:/bin/bash',
  'nohome:x:3000:3000:::/bin/sh',
].join('\n');

describe('findPasswdEntry', () => {
  it('finds the user by exact name: uid, gid and home', () => {
    assert.deepEqual(findPasswdEntry(PASSWD, 'coder'), { uid: 1000, gid: 1001, home: '/home/coder' });
    assert.deepEqual(findPasswdEntry(PASSWD, 'root'), { uid: 0, gid: 0, home: '/root' });
  });

  it('returns null for a user that is not there, including a prefix of another name', () => {
    assert.equal(findPasswdEntry(PASSWD, 'alice'), null);
    assert.equal(findPasswdEntry(PASSWD, 'code'), null);
    assert.equal(findPasswdEntry('', 'coder'), null);
  });

  it('uses / for an empty home, as login does', () => {
    assert.deepEqual(findPasswdEntry(PASSWD, 'nohome'), { uid: 3000, gid: 3000, home: '/' });
  });

  it('returns null for a uid or gid that is not a number', () => {
    assert.equal(findPasswdEntry('coder:x:abc:1000::/home/coder:/bin/sh', 'coder'), null);
    assert.equal(findPasswdEntry('coder:x:1000:1.5::/home/coder:/bin/sh', 'coder'), null);
  });

  it('returns null for an empty uid field rather than reading it as root', () => {
    assert.equal(findPasswdEntry('coder:x::1000::/home/coder:/bin/sh', 'coder'), null);
    assert.equal(findPasswdEntry('coder:x:1000: ::/home/coder:/bin/sh', 'coder'), null);
  });

  it('skips a line with fewer than seven fields, and finds a well-formed one after it', () => {
    assert.equal(findPasswdEntry('coder:x:1000:1000:/home/coder', 'coder'), null);
    assert.deepEqual(findPasswdEntry('coder:x:1:1\ncoder:x:1000:1000::/home/coder:/bin/sh', 'coder'), { uid: 1000, gid: 1000, home: '/home/coder' });
  });
});

describe('osReleaseId', () => {
  it('reads an unquoted ID', () => {
    assert.equal(osReleaseId('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'), 'ubuntu');
  });

  it('strips double or single quotes', () => {
    assert.equal(osReleaseId('NAME="Red Hat"\nID="rhel"\nVERSION_ID="9.3"'), 'rhel');
    assert.equal(osReleaseId("ID='fedora'"), 'fedora');
  });

  it('does not take ID_LIKE or VERSION_ID for ID', () => {
    assert.equal(osReleaseId('ID_LIKE=debian\nVERSION_ID=12'), 'linux');
  });

  it('is "linux" when ID is missing or empty, or there is no os-release', () => {
    assert.equal(osReleaseId('NAME=Something\n'), 'linux');
    assert.equal(osReleaseId('ID=\n'), 'linux');
    assert.equal(osReleaseId('ID=""\n'), 'linux');
    assert.equal(osReleaseId(null), 'linux');
  });
});

describe('resolveImageFacts', () => {
  function probeOf(docker: FakeDocker): { name: string; body: ContainerCreateBody } {
    const create = docker.calls.filter((c) => c.method === 'createContainer');
    assert.equal(create.length, 1);
    return { name: create[0]!.args[0] as string, body: create[0]!.args[1] as ContainerCreateBody };
  }

  it('reads the facts from a probe container that is created, never started, never networked, then removed', async () => {
    const docker = new FakeDocker();
    const facts = await resolveImageFacts(docker, 'registry.test/ws:1', 'coder', 'sysbox-runc');
    assert.deepEqual(facts, { uid: 1000, gid: 1000, home: '/home/coder', hasInit: false, osReleaseId: 'ubuntu' });
    const { name, body } = probeOf(docker);
    assert.match(name, /^envbox-facts-/);
    assert.equal(body.Image, 'registry.test/ws:1');
    assert.equal(body.NetworkDisabled, true);
    assert.equal(body.HostConfig.NetworkMode, 'none');
    assert.equal(body.HostConfig.Runtime, 'sysbox-runc');
    assert.ok(!docker.methods().includes('startContainer'), docker.methods().join(', '));
    assert.ok(!docker.methods().some((m) => m.startsWith('exec')));
    assert.deepEqual(docker.calls.filter((c) => c.method === 'removeContainer').map((c) => c.args[0]), [`id-${name}`]);
    assert.equal(docker.methods().at(-1), 'removeContainer');
  });

  it('probeImageFacts gives the facts before the probe is removed, and says when the removal is over', async () => {
    let finishRemoval!: () => void;
    const removing = new Promise<void>((resolve) => { finishRemoval = resolve; });
    const docker = new (class extends FakeDocker {
      override async removeContainer(idOrName: string) {
        await super.removeContainer(idOrName);
        await removing;
      }
    })();
    const { facts, removed } = await probeImageFacts(docker, 'registry.test/ws:1', 'coder', 'runc');
    assert.equal(facts.uid, 1000);
    assert.equal(docker.methods().at(-1), 'removeContainer', 'the removal has begun');
    let over = false;
    void removed.then(() => { over = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(over, false, 'and is still going on');
    finishRemoval();
    await removed;
  });

  it('a failing probe is removed before the error comes out', async () => {
    const docker = new FakeDocker();
    docker.files['/etc/passwd'] = 'root:x:0:0:root:/root:/bin/sh\n';
    await assert.rejects(probeImageFacts(docker, 'registry.test/ws:1', 'coder', 'runc'), /not in \/etc\/passwd/);
    assert.equal(docker.methods().at(-1), 'removeContainer');
  });

  it('reads passwd and os-release through the archive API and stats /sbin/init of the probe', async () => {
    const docker = new FakeDocker();
    docker.hasInit = true;
    docker.files = { '/etc/passwd': 'dev:x:501:20::/Users/dev:/bin/zsh\n', '/etc/os-release': 'ID="fedora"\n' };
    assert.deepEqual(await resolveImageFacts(docker, 'fedora', 'dev', 'runc'), { uid: 501, gid: 20, home: '/Users/dev', hasInit: true, osReleaseId: 'fedora' });
    const id = `id-${probeOf(docker).name}`;
    const reads = docker.calls.filter((c) => c.method === 'openFile' || c.method === 'statPath').map((c) => [c.method, ...c.args]);
    assert.deepEqual(reads.sort(), [['openFile', id, '/etc/os-release'], ['openFile', id, '/etc/passwd'], ['statPath', id, '/etc/os-release'], ['statPath', id, '/sbin/init']]);
    assert.equal(probeOf(docker).body.HostConfig.Runtime, 'runc');
  });

  it('reads a symlinked /etc/os-release once, at its target (a stat finds it; each read mounts the container in dockerd)', async () => {
    for (const link of ['../usr/lib/os-release', '/usr/lib/os-release']) {
      const docker = new FakeDocker();
      docker.files = { '/etc/passwd': 'coder:x:1000:1000::/home/coder:/bin/sh\n', '/usr/lib/os-release': 'NAME="Debian"\nID=debian\n' };
      docker.links = { '/etc/os-release': link };
      assert.equal((await resolveImageFacts(docker, 'img', 'coder', 'runc')).osReleaseId, 'debian', link);
      const opened = docker.calls.filter((c) => c.method === 'openFile').map((c) => c.args[1]).sort();
      assert.deepEqual(opened, ['/etc/passwd', '/usr/lib/os-release'], link);
    }
  });

  it('says "linux" when the image has no os-release', async () => {
    const docker = new FakeDocker();
    docker.files = { '/etc/passwd': 'coder:x:1000:1000::/home/coder:/bin/sh\n' };
    assert.equal((await resolveImageFacts(docker, 'img', 'coder', 'sysbox-runc')).osReleaseId, 'linux');
  });

  it('removes the probe even when reading from it fails', async () => {
    const docker = new FakeDocker();
    docker.failures.set('openFile', new Error('read /etc/passwd from the image: boom'));
    await assert.rejects(resolveImageFacts(docker, 'img', 'coder', 'sysbox-runc'), /boom/);
    assert.ok(docker.methods().includes('removeContainer'));
  });

  it('a failure to remove the probe does not hide the facts', async () => {
    const docker = new FakeDocker();
    docker.failures.set('removeContainer', new Error('conflict'));
    assert.equal((await resolveImageFacts(docker, 'img', 'coder', 'sysbox-runc')).uid, 1000);
  });

  it('a missing user is an EnvboxError naming CODER_INNER_USERNAME, the user and the image, and the probe is removed', async () => {
    const docker = new FakeDocker();
    await assert.rejects(resolveImageFacts(docker, 'registry.test/ws:1', 'alice', 'sysbox-runc'), (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.match(error.message, /"alice" \(CODER_INNER_USERNAME\) is not in \/etc\/passwd of the image registry\.test\/ws:1/);
      assert.match(error.hint ?? '', /CODER_INNER_USERNAME/);
      return true;
    });
    assert.ok(docker.methods().includes('removeContainer'));
  });

  it('an image without /etc/passwd is an EnvboxError that names the user and CODER_INNER_USERNAME', async () => {
    const docker = new FakeDocker();
    docker.files = {};
    await assert.rejects(resolveImageFacts(docker, 'scratch-img', 'coder', 'sysbox-runc'), (error: unknown) => {
      assert.ok(error instanceof EnvboxError);
      assert.match(error.message, /has no \/etc\/passwd, so the user "coder"/);
      assert.match(error.hint ?? '', /CODER_INNER_USERNAME/);
      return true;
    });
    assert.ok(docker.methods().includes('removeContainer'));
  });
});

describe('a huge or hostile /etc/passwd', () => {
  const users = (count: number) => Array.from({ length: count }, (_, i) => `user${i}:x:${10_000 + i}:${10_000 + i}::/home/user${i}:/bin/sh\n`).join('');

  it('finds a user at line 100,000, reading the stream line by line', async () => {
    const passwd = `${users(99_999)}coder:x:1000:1000::/home/coder:/bin/sh\n`;
    async function* chunks() { for (let i = 0; i < passwd.length; i += 65_536) yield Buffer.from(passwd.slice(i, i + 65_536)); }
    assert.deepEqual(await findPasswdEntryInStream(chunks(), 'coder'), { uid: 1000, gid: 1000, home: '/home/coder' });
  });

  it('stops at the user\'s line and reads nothing after it', async () => {
    let pulled = 0;
    async function* endless() {
      yield Buffer.from('root:x:0:0::/root:/bin/sh\ncoder:x:1000:1000::/home/coder:/bin/sh\n');
      for (;;) { pulled++; yield Buffer.from(users(10)); }
    }
    assert.deepEqual(await findPasswdEntryInStream(endless(), 'coder'), { uid: 1000, gid: 1000, home: '/home/coder' });
    assert.equal(pulled, 0);
  });

  it('gives up at the cap on an endless passwd without the user, having read at most the cap', async () => {
    let read = 0;
    async function* endless() { for (;;) { const chunk = Buffer.from(users(1000)); read += chunk.length; yield chunk; } }
    assert.equal(await findPasswdEntryInStream(endless(), 'coder'), 'capped');
    assert.ok(read < PASSWD_LIMITS.maxBytes + 100_000, `read ${read} bytes`);
  });

  it('fails resolveImageFacts with a clear message when the user is not within the cap', async () => {
    const docker = new FakeDocker();
    docker.files['/etc/passwd'] = 'x'.repeat(PASSWD_LIMITS.maxBytes + 10);
    await assert.rejects(resolveImageFacts(docker, 'hostile:1', 'coder', 'runc'),
      (error: Error) => error instanceof EnvboxError && /not in the first 32 MiB of \/etc\/passwd of the image hostile:1/.test(error.message));
    assert.ok(docker.methods().includes('removeContainer'), 'the probe container is removed');
  });

  it('ignores a user name hidden in a line too long to be passwd', async () => {
    const line = `coder:x:0:0:${'g'.repeat(10_000)}:/root:/bin/sh\ncoder:x:1000:1000::/home/coder:/bin/sh\n`;
    async function* one() { yield Buffer.from(line); }
    assert.deepEqual(await findPasswdEntryInStream(one(), 'coder'), { uid: 1000, gid: 1000, home: '/home/coder' });
  });
});
