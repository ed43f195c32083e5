import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EnvboxError, PluginError } from '../../kernel/errors.js';
import { failureParagraph, hintFor, HINTS, SYSBOX_KERNEL_HINT } from './hints.js';
import { TERMINATION_MESSAGE_LIMIT, truncateUtf8, writeTerminationMessage } from './termination.js';

const root = mkdtempSync(join(tmpdir(), 'envbox-termination-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('hintFor', () => {
  const cases: Array<[string, string]> = [
    ['sysbox-mgr exited: exit status 1', SYSBOX_KERNEL_HINT],
    ['spawn sysbox-mgr ENOENT', HINTS.sysboxMissing],
    ['exec: "sysbox-fs": executable file not found in $PATH', HINTS.sysboxMissing],
    ['Get "https://registry.test/v2/": x509: certificate signed by unknown authority', HINTS.unknownCa],
    ['Head "https://registry.test/v2/app/manifests/1": no basic auth credentials', HINTS.credentials],
    ['unauthorized: authentication required', HINTS.credentials],
    ['manifest for registry.test/app:2 not found: manifest unknown: manifest unknown', HINTS.imageNotFound],
    ['repository registry.test/nope not found', HINTS.imageNotFound],
    ['write /var/lib/docker/tmp/x: no space left on device', HINTS.diskFull],
    ['failed to write 1 to cgroup.procs: write /sys/fs/cgroup/docker/1f/init.scope/cgroup.procs: operation not supported: unknown', HINTS.cgroupns],
  ];
  for (const [message, hint] of cases) {
    it(`knows "${message}"`, () => assert.equal(hintFor(message), hint));
  }

  it('says nothing for a cause it does not know', () => {
    assert.equal(hintFor('connection reset by peer'), undefined);
  });

  it('names the variables the user can set', () => {
    assert.match(HINTS.unknownCa, /CODER_EXTRA_CERTS_PATH/);
    assert.match(HINTS.credentials, /CODER_IMAGE_PULL_SECRET/);
    assert.match(HINTS.credentials, /CODER_DOCKER_CONFIG/);
    assert.match(HINTS.imageNotFound, /CODER_INNER_IMAGE/);
    assert.match(HINTS.sysboxMissing, /ENVBOX_RUNTIME=runc/);
    assert.match(HINTS.cgroupns, /--cgroupns=host/);
  });
});

describe('failureParagraph', () => {
  it('joins the message and the hint in one line', () => {
    const paragraph = failureParagraph(new Error('pull registry.test/app:2 failed:\n  manifest unknown'));
    assert.equal(paragraph, `pull registry.test/app:2 failed: manifest unknown. ${HINTS.imageNotFound}`);
    assert.doesNotMatch(paragraph, /\n/);
  });

  it('prefers the hint an EnvboxError carries', () => {
    assert.equal(failureParagraph(new EnvboxError('dockerd did not answer in 30 s.', 'See ENVBOX_DOCKERD_LOG.')), 'dockerd did not answer in 30 s. See ENVBOX_DOCKERD_LOG.');
  });

  it('finds the hint in a wrapped cause', () => {
    const error = new PluginError('pullsecret', 'prePull', new Error('x509: certificate signed by unknown authority'));
    assert.match(failureParagraph(error), /^plugin "pullsecret" failed in hook "prePull": x509.*CODER_EXTRA_CERTS_PATH/);
    const wrapped = new EnvboxError('could not pull the image', undefined, { cause: new Error('no basic auth credentials') });
    assert.equal(failureParagraph(wrapped), `could not pull the image. ${HINTS.credentials}`);
  });

  it('does not repeat a hint the message already holds', () => {
    assert.equal(failureParagraph(new Error(SYSBOX_KERNEL_HINT)), SYSBOX_KERNEL_HINT);
  });

  it('leaves a message without a known cause as it is, and copes with non-errors', () => {
    assert.equal(failureParagraph(new Error('boom')), 'boom');
    assert.equal(failureParagraph('plain string'), 'plain string');
    assert.match(failureParagraph(new Error('')), /unknown reason/);
  });
});

describe('writeTerminationMessage', () => {
  it('writes the message', () => {
    const path = join(root, 'termination-log');
    assert.equal(writeTerminationMessage(path, 'pull failed. Check CODER_INNER_IMAGE.'), true);
    assert.equal(readFileSync(path, 'utf8'), 'pull failed. Check CODER_INNER_IMAGE.');
  });

  it('keeps to Kubernetes\' 4096 bytes without cutting a character', () => {
    const path = join(root, 'long');
    writeTerminationMessage(path, `${'a'.repeat(4094)}😀 and more`);
    const written = readFileSync(path);
    assert.equal(written.length, 4094);
    assert.equal(truncateUtf8('é'.repeat(3000), TERMINATION_MESSAGE_LIMIT), 'é'.repeat(2048));
  });

  it('returns false instead of throwing when the path cannot be written', () => {
    assert.equal(writeTerminationMessage(join(root, 'missing-dir', 'termination-log'), 'x'), false);
  });
});
