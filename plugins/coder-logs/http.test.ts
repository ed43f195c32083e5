import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { loadExtraCertificates } from './http.js';

const [first, second] = rootCertificates;
const root = mkdtempSync(join(tmpdir(), 'envbox-certs-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('loadExtraCertificates', () => {
  it('reads every certificate of a PEM bundle file', async () => {
    const file = join(root, 'bundle.pem');
    writeFileSync(file, `${first}\n${second}\n`);
    const loaded = await loadExtraCertificates(file);
    assert.equal(loaded.certificates.length, 2);
    assert.deepEqual(loaded.problems, []);
  });

  it('reads the files of a directory and skips sub-directories, as in a mounted Kubernetes secret', async () => {
    const dir = join(root, 'secret');
    mkdirSync(join(dir, '..2026_11_28'), { recursive: true });
    writeFileSync(join(dir, '..2026_11_28', 'ca.crt'), `${first}\n`);
    symlinkSync('..2026_11_28', join(dir, '..data'));
    symlinkSync('..data/ca.crt', join(dir, 'ca.crt'));
    writeFileSync(join(dir, 'other.pem'), `${second}\n`);
    const loaded = await loadExtraCertificates(dir);
    assert.equal(loaded.certificates.length, 2);
    assert.deepEqual(loaded.problems, []);
  });

  it('reports, without throwing, a missing path, a file without certificates and a broken certificate', async () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'good.pem'), `${first}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a certificate');
    writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const loaded = await loadExtraCertificates(dir);
    assert.equal(loaded.certificates.length, 1);
    assert.equal(loaded.problems.length, 2);
    assert.match(loaded.problems.join('\n'), /notes\.txt: no PEM certificate/);
    assert.match(loaded.problems.join('\n'), /broken\.pem/);

    const missing = await loadExtraCertificates(join(root, 'absent.pem'));
    assert.deepEqual(missing.certificates, []);
    assert.match(missing.problems[0] ?? '', /absent\.pem/);
  });
});

describe('loadExtraCertificates with hostile entries', () => {
  it('skips a FIFO with a problem, without blocking on it (no writer ever opens it), and still reads the good file', async () => {
    const dir = join(root, 'fifo');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'a-fifo.pem')]);
    writeFileSync(join(dir, 'good.pem'), `${first}\n`);
    const loaded = await loadExtraCertificates(dir);
    assert.equal(loaded.certificates.length, 1);
    assert.match(loaded.problems.join('\n'), /a-fifo\.pem: is a FIFO, not a regular file; skipped/);
  });

  it('skips a device named as the path itself', async () => {
    const loaded = await loadExtraCertificates('/dev/zero');
    assert.deepEqual(loaded.certificates, []);
    assert.match(loaded.problems.join('\n'), /\/dev\/zero: is a character device, not a regular file/);
  });
});
