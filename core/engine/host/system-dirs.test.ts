import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installDirOf, isInSystemDir, isProtectedDir } from './system-dirs.js';

describe('system dirs: envbox\'s own install is one', () => {
  it('tells the install dir from where this module was loaded (bundle, npm package, source)', () => {
    assert.equal(installDirOf('file:///srv/site/envbox/envbox.cjs'), '/srv/site/envbox');
    assert.equal(installDirOf('file:///usr/lib/node_modules/envbox/dist/core/engine/host/system-dirs.js'), '/usr/lib/node_modules/envbox');
    assert.equal(installDirOf('file:///src/envbox/core/engine/host/system-dirs.ts'), '/src/envbox');
    assert.equal(installDirOf('file:///envbox.cjs'), null);
    assert.equal(installDirOf(undefined), null);
    assert.equal(installDirOf('data:text/javascript,1'), null);
  });

  it('protects the image\'s /opt/envbox and /envbox, the parents /opt and /home, and the running install with its parents', () => {
    for (const dir of ['/opt/envbox', '/opt/envbox/lib', '/envbox', import.meta.dirname]) assert.equal(isInSystemDir(dir), true, dir);
    for (const dir of ['/opt', '/opt/', '/home', '/opt/envbox', '/envbox']) assert.equal(isProtectedDir(dir), true, dir);
    for (const dir of ['/opt/tools', '/home/coder', '/homes', '/optional']) {
      assert.equal(isProtectedDir(dir) || isInSystemDir(dir), false, dir);
    }
  });
});
