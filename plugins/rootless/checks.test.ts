import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHost, rootlessHost } from 'envbox/testing';
import { EnvboxError, type HostView } from 'envbox';
import { failureParagraph } from '../../core/engine/status/hints.js';
import { assertRootlessRequirements, rootlessProblems as problemsOf } from './checks.js';
import { readRootlessIdentity } from './identity.js';

async function rootlessProblems(host: HostView) {
  return problemsOf(host, await readRootlessIdentity(rootlessHost(), 'envbox'));
}

const DOCKER_MASKS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/scsi', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

async function paragraphFor(host: ReturnType<typeof rootlessHost>): Promise<string> {
  const error = await assertRootlessRequirements(host, await readRootlessIdentity(rootlessHost(), 'envbox')).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof EnvboxError, 'the checks must fail');
  return failureParagraph(error);
}

describe('rootless start checks', () => {
  it('pass on an outer container that has everything', async () => {
    assert.deepEqual(await rootlessProblems(rootlessHost()), []);
    await assertRootlessRequirements(rootlessHost(), await readRootlessIdentity(rootlessHost(), 'envbox'));
  });

  it('fail without /dev/net/tun, naming the device and how to pass it', async () => {
    const host = rootlessHost();
    host.file('/dev/net/tun', '');
    assert.deepEqual((await rootlessProblems(host)).map((p) => p.requirement), ['tun']);
    const paragraph = await paragraphFor(host);
    assert.match(paragraph, /^ENVBOX_ROOTLESS cannot start: \/dev\/net\/tun is not the TUN device/);
    assert.match(paragraph, /--device \/dev\/net\/tun/);
    assert.doesNotMatch(paragraph, /\n/);
  });

  it('fail under a seccomp filter (Seccomp: 2), naming Unconfined and seccomp=unconfined', async () => {
    const host = rootlessHost().file('/proc/self/status', 'Name:\tnode\nSeccomp:\t2\nSeccomp_filters:\t1\n');
    assert.deepEqual((await rootlessProblems(host)).map((p) => p.requirement), ['seccomp']);
    const paragraph = await paragraphFor(host);
    assert.match(paragraph, /Seccomp: 2/);
    assert.match(paragraph, /seccompProfile\.type: Unconfined/);
    assert.match(paragraph, /--security-opt seccomp=unconfined/);
  });

  it('fail when /proc is masked as a runtime masks it by default, naming procMount and systempaths', async () => {
    const host = rootlessHost();
    for (const target of DOCKER_MASKS) host.mount(target, { fstype: target === '/proc/sys' ? 'proc' : 'tmpfs' });
    assert.deepEqual((await rootlessProblems(host)).map((p) => p.requirement), ['proc']);
    const paragraph = await paragraphFor(host);
    assert.match(paragraph, /\/proc is masked \(\/proc\/asound, \/proc\/acpi, \/proc\/kcore, \.\.\. are mounted over\)/);
    assert.match(paragraph, /procMount: Unmasked/);
    assert.match(paragraph, /systempaths=unconfined/);
  });

  it('ignore binfmt_misc under /proc, which is not a mask', async () => {
    const host = rootlessHost().mount('/proc/sys/fs/binfmt_misc', { fstype: 'binfmt_misc' });
    assert.deepEqual(await rootlessProblems(host), []);
  });

  it('fail on a setuid-root newuidmap without the file capability, naming setcap', async () => {
    const host = rootlessHost().file('/usr/bin/newuidmap', '', 0o4755).capabilities('/usr/bin/newuidmap', '');
    assert.deepEqual((await rootlessProblems(host)).map((p) => p.requirement), ['newuidmap']);
    const paragraph = await paragraphFor(host);
    assert.match(paragraph, /\/usr\/bin\/newuidmap is setuid-root without the cap_setuid file capability/);
    assert.match(paragraph, /write to uid_map failed: Operation not permitted/);
    assert.match(paragraph, /setcap cap_setuid\+ep \/usr\/bin\/newuidmap/);
  });

  it('fail on newgidmap without cap_setgid, and on a missing newuidmap', async () => {
    const gid = rootlessHost().capabilities('/usr/bin/newgidmap', 'cap_setuid=ep');
    assert.match((await rootlessProblems(gid))[0]!.message, /\/usr\/bin\/newgidmap lacks the cap_setgid file capability/);
    const missing = new MemoryHost();
    const problems = await rootlessProblems(missing);
    assert.ok(problems.some((p) => p.requirement === 'newuidmap' && /\/usr\/bin\/newuidmap is missing/.test(p.message)));
  });

  it('fail when the subordinate range lies outside the ids the pod\'s user namespace maps (coder\'s 100000-165535 under hostUsers: false)', async () => {
    const host = rootlessHost();
    const coder = await readRootlessIdentity(host, 'coder');
    const problems = await problemsOf(host, coder);
    assert.deepEqual(problems.map((p) => p.requirement), ['id-range']);
    assert.match(problems[0]!.message, /subordinate uids of coder \(100000-165535, \/etc\/subuid\) are not all mapped in this container's user namespace \(it maps 0-65535\)/);
    assert.match(problems[0]!.fix, /envbox:10000:55536/);
    // On a node's root (no user namespace: the whole id space), it fits.
    host.file('/proc/self/uid_map', '0 0 4294967295\n').file('/proc/self/gid_map', '0 0 4294967295\n');
    assert.deepEqual(await problemsOf(host, coder), []);
  });

  it('report every unmet requirement at once, the first as the message and the rest as "Also:"', async () => {
    const host = rootlessHost().file('/dev/net/tun', '').file('/proc/self/status', 'Seccomp:\t2\n');
    const paragraph = await paragraphFor(host);
    assert.match(paragraph, /TUN device.*Also: envbox runs under a seccomp filter/);
  });
});
