import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHost, runContainerSpec } from 'envbox/testing';
import { mountsPlugin } from './index.js';

describe('mounts plugin: the workspace never gets the outer daemon\'s data root', () => {
  it('the seed one-liner (one host dir at /var/lib/coder/docker and /var/lib/docker): a subdirectory instead, said once', async () => {
    // A bind mount of one dir at two places: both paths stat to the same device and inode.
    const host = new MemoryHost().dir('/var/lib/docker').bind('/var/lib/coder/docker', '/var/lib/docker').dir('/var/lib/coder/containers');
    const { body, actions, buildLog } = await runContainerSpec([mountsPlugin()], { host, mode: 'docker' });
    assert.deepEqual(body.HostConfig.Binds, ['/var/lib/coder/docker/workspace-docker:/var/lib/docker', '/var/lib/coder/containers:/var/lib/containers']);
    assert.deepEqual(actions.filter((a) => a.kind === 'mkdir').map((a) => a.kind === 'mkdir' && a.path), ['/var/lib/coder/docker/workspace-docker', '/var/lib/coder/containers']);
    assert.deepEqual(buildLog.map((l) => l.output), [
      "/var/lib/coder/docker is the outer dockerd's data root /var/lib/docker (the same directory), so the workspace gets /var/lib/coder/docker/workspace-docker as its /var/lib/docker instead.",
    ]);
  });

  it('separate directories (the Kubernetes layout) stay as they are, silently', async () => {
    const host = new MemoryHost().dir('/var/lib/docker').dir('/var/lib/coder/docker').dir('/var/lib/coder/containers');
    const { body, buildLog } = await runContainerSpec([mountsPlugin()], { host });
    assert.deepEqual(body.HostConfig.Binds, ['/var/lib/coder/docker:/var/lib/docker', '/var/lib/coder/containers:/var/lib/containers']);
    assert.deepEqual(buildLog, []);
  });

  it('any mount source that is the data root (ENVBOX_DOCKER_DATA_ROOT or the fallback), through CODER_MOUNTS too', async () => {
    const host = new MemoryHost().dir('/data/docker').symlink('/cache', '/data/docker').dir('/var/lib/docker.bak').symlink('/bak', '/var/lib/docker.bak');
    const { body } = await runContainerSpec([mountsPlugin()], {
      host, env: { ENVBOX_DOCKER_DATA_ROOT: '/data/docker', CODER_MOUNTS: '/cache:/cache,/bak:/bak' },
    });
    assert.deepEqual(body.HostConfig.Binds?.slice(2), ['/cache/workspace-cache:/cache', '/bak/workspace-bak:/bak']);
  });

  it('a home that is the data root too (podman 4.3 puts every subPath of a volume in one dir): its own subdirectory, owned by the workspace user', async () => {
    const host = new MemoryHost().dir('/var/lib/docker').symlink('/var/lib/coder/docker', '/var/lib/docker')
      .symlink('/var/lib/coder/containers', '/var/lib/docker').bind('/home/coder', '/var/lib/docker');
    const { body, actions } = await runContainerSpec([mountsPlugin()], { host, mode: 'docker', env: { CODER_MOUNTS: '/home/coder:/home/coder' } });
    assert.deepEqual(body.HostConfig.Binds, [
      '/var/lib/coder/docker/workspace-docker:/var/lib/docker',
      '/var/lib/coder/containers/workspace-var-lib-containers:/var/lib/containers',
      '/home/coder/workspace-home-coder:/home/coder',
    ]);
    const owners = Object.fromEntries(actions.filter((a) => a.kind === 'chown').map((a) => [a.kind === 'chown' && a.path, a.kind === 'chown' && `${a.uid}:${a.gid}`]));
    // (the daemons' private targets are made, never chowned)
    assert.deepEqual(owners, { '/home/coder/workspace-home-coder': '101000:101000' }, 'the redirected home gets the workspace user\'s shifted ids, as /home/coder itself would');
  });

  it('with ENVBOX_DOCKER_HOST the daemon\'s data root is unknown, so nothing changes', async () => {
    const host = new MemoryHost().dir('/var/lib/docker').symlink('/var/lib/coder/docker', '/var/lib/docker');
    const { body } = await runContainerSpec([mountsPlugin()], { host, env: { ENVBOX_DOCKER_HOST: 'unix:///run/other.sock' } });
    assert.deepEqual(body.HostConfig.Binds?.[0], '/var/lib/coder/docker:/var/lib/docker');
  });
});
