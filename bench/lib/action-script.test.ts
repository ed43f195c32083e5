import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lchownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionScript } from './action-script.js';

describe('actionScript', () => {
  test('performs mkdir (skipping what exists), chmod, copyFile and a failing best-effort write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-actions-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'CA');
      const script = actionScript([
        { kind: 'mkdir', path: join(dir, 'a b'), mode: '0750', plugin: 'mounts', hook: 'containerSpec' },
        { kind: 'mkdir', path: join(dir, 'a b'), mode: '0700', plugin: 'mounts', hook: 'containerSpec' },
        { kind: 'chmod', path: join(dir, 'a b'), mode: '02755', plugin: 'mounts', hook: 'containerSpec' },
        { kind: 'copyFile', from: join(dir, 'ca.pem'), to: join(dir, 'a b', 'ca.crt'), mode: '0644', plugin: 'certs', hook: 'prePull' },
        { kind: 'writeFile', path: join(dir, 'missing', 'f'), content: 'x', plugin: 'core', hook: 'start', bestEffort: true },
      ]);
      execFileSync('sh', ['-c', script]);
      assert.equal(statSync(join(dir, 'a b')).mode & 0o7777, 0o2755);
      assert.equal(readFileSync(join(dir, 'a b', 'ca.crt'), 'utf8'), 'CA');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shiftOwners by hand: ids below the range move up by the offset, others stay', { skip: process.getuid?.() === 0 ? false : 'needs root' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-shift-'));
    try {
      const owners: [string, number, number][] = [['user', 1000, 1000], ['mixed', 0, 300000], ['shifted', 101000, 101000]];
      for (const [name, uid, gid] of owners) {
        writeFileSync(join(dir, name), '');
        lchownSync(join(dir, name), uid, gid);
      }
      lchownSync(dir, 101000, 101000);
      execFileSync('sh', ['-c', actionScript([{ kind: 'shiftOwners', path: dir, offset: 100000, below: 65536, plugin: 'mounts', hook: 'containerSpec' }])]);
      assert.deepEqual(owners.map(([name]) => { const s = lstatSync(join(dir, name)); return `${s.uid}:${s.gid}`; }), ['101000:101000', '100000:300000', '101000:101000']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a failing action that is not best effort fails the script', () => {
    const script = actionScript([{ kind: 'chmod', path: '/nonexistent/bench', mode: '0755', plugin: 'p', hook: 'h' }]);
    assert.throws(() => execFileSync('sh', ['-c', script], { stdio: 'pipe' }));
  });
});
