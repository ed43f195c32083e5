import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { type Action, InputError } from 'envbox';
import { MemoryHost, runConfigure, runPreDaemon, runPrePull } from 'envbox/testing';
import { certsPlugin } from '../certs/index.js';
import { registryMirrorsPlugin } from './index.js';
import { probeMirror } from './probe.js';

const MIRRORS = 'https://mirror.corp:5000, http://cache.local/';
const neverCalled = async () => assert.fail('no probe expected');

describe('registry-mirrors plugin', () => {
  it('gives the managed dockerd one --registry-mirror per mirror, normalised', async () => {
    const { daemon } = await runPreDaemon([registryMirrorsPlugin(neverCalled)], { env: { ENVBOX_REGISTRY_MIRRORS: MIRRORS } });
    assert.deepEqual(daemon.argv.slice(-2), ['--registry-mirror=https://mirror.corp:5000', '--registry-mirror=http://cache.local']);
  });

  it('copies CODER_EXTRA_CERTS_PATH to each mirror host\'s certs.d dir, as for the image\'s registry', async () => {
    const host = new MemoryHost().file('/certs/ca.crt');
    const { actions } = await runPrePull([certsPlugin(), registryMirrorsPlugin(neverCalled)], {
      env: { ENVBOX_REGISTRY_MIRRORS: MIRRORS, CODER_EXTRA_CERTS_PATH: '/certs/ca.crt', CODER_INNER_IMAGE: 'codercom/enterprise-base:ubuntu' }, host,
    });
    assert.deepEqual(actions.filter((a: Action) => a.kind === 'copyFile').map((a) => a.kind === 'copyFile' && [a.to, a.plugin]), [
      ['/etc/docker/certs.d/docker.io/ca.crt', 'certs'],
      ['/etc/docker/certs.d/mirror.corp:5000/ca.crt', 'registry-mirrors'],
      ['/etc/docker/certs.d/cache.local/ca.crt', 'registry-mirrors'],
    ]);
  });

  it('names a mirror that does not answer in the build log and in the hints of a Docker Hub pull (docker mode only)', async () => {
    const probed: string[] = [];
    const probe = async (m: string) => { probed.push(m); return m.includes('mirror.corp') ? 'connect ECONNREFUSED 10.0.0.5:5000' : null; };
    const env = { ENVBOX_REGISTRY_MIRRORS: MIRRORS, CODER_INNER_IMAGE: 'ubuntu:24.04' };
    const { pull } = await runPrePull([registryMirrorsPlugin(probe)], { env, mode: 'docker' });
    assert.deepEqual(probed, ['https://mirror.corp:5000', 'http://cache.local']);
    assert.equal(pull.failureHints?.length, 1);
    assert.match(pull.failureHints![0]!, /^The registry mirror https:\/\/mirror.corp:5000 \(connect ECONNREFUSED 10.0.0.5:5000\) in ENVBOX_REGISTRY_MIRRORS did not answer/);
    const planned = await runPrePull([registryMirrorsPlugin(neverCalled)], { env, mode: 'plan' });
    assert.equal(planned.pull.failureHints, undefined, 'plan probes nothing');
    const other = await runPrePull([registryMirrorsPlugin(neverCalled)], { env: { ...env, CODER_INNER_IMAGE: 'registry.corp/team/img:1' }, mode: 'docker' });
    assert.equal(other.pull.failureHints, undefined, 'mirrors serve Docker Hub images only, so others are not probed');
  });

  it('refuses mirrors with ENVBOX_DOCKER_HOST (exit 2): that daemon is configured elsewhere', async () => {
    await assert.rejects(runConfigure([registryMirrorsPlugin(neverCalled)], { env: { ENVBOX_REGISTRY_MIRRORS: MIRRORS, ENVBOX_DOCKER_HOST: 'unix:///var/run/docker.sock' } }),
      (error: unknown) => error instanceof InputError && /ENVBOX_REGISTRY_MIRRORS: applies to the dockerd envbox starts/.test(error.message));
  });

  for (const [value, pattern] of [
    ['mirror.corp', /"mirror.corp" is not an http\(s\) URL/],
    ['https://u:p@mirror.corp', /entry 1 holds credentials/],
    ['https://mirror.corp/v2/', /has a path, query or fragment; dockerd takes only scheme:\/\/host\[:port\]/],
    ['https://a,,https://b', /entry 2 is empty/],
  ] as const) {
    it(`rejects ENVBOX_REGISTRY_MIRRORS=${value}`, async () => {
      await assert.rejects(runConfigure([registryMirrorsPlugin()], { env: { ENVBOX_REGISTRY_MIRRORS: value } }),
        (error: unknown) => error instanceof InputError && pattern.test(error.message) && /Example: ENVBOX_REGISTRY_MIRRORS=https:\/\/mirror.corp:5000/.test(error.message));
    });
  }

  // The userinfo ends at the last '@' (as in Go and WHATWG), and text that is no URL is not quoted when it may hold a password.
  for (const value of ['https://u:mirror-s3cret@mirror corp', 'https://u:mirror@s3cret@mirror.corp', 'u:mirror-s3cret@mirror.corp', 'https://mirror.corp,https://u:mirror-s3cret@mirror.corp/v2/']) {
    it(`never quotes the password of ENVBOX_REGISTRY_MIRRORS=${value.replace(/:[^:]*@/, ':***@')}`, async () => {
      await assert.rejects(runConfigure([registryMirrorsPlugin()], { env: { ENVBOX_REGISTRY_MIRRORS: value } }), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.equal(/s3cret|mirror-s3/.test(error.message), false, error.message);
        return true;
      });
    });
  }

  it('probes for real: any HTTP answer is up, a closed port is down with the reason', async () => {
    const server = createServer((_, res) => { res.statusCode = 401; res.end(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      assert.equal(await probeMirror(`http://127.0.0.1:${port}`), null);
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.match((await probeMirror(`http://127.0.0.1:${port}`)) ?? '', /ECONNREFUSED/);
  });

  it('counts a mirror whose reply body never ends as up, reading only its start', async () => {
    let closed = false;
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => { closed = true; });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump); };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      assert.equal(await probeMirror(`http://127.0.0.1:${server.address() && (server.address() as AddressInfo).port}`), null);
      while (!closed) await new Promise((r) => setTimeout(r, 10));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
