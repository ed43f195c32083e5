import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeDocker } from '../../../testing/fake-docker.js';
import { readSmallFile } from './read-small-file.js';

describe('readSmallFile', () => {
  it('joins the chunks of a file, and gives null for a missing one', async () => {
    const docker = new FakeDocker();
    docker.files['/etc/docker/daemon.json'] = `{"a":"${'x'.repeat(2500)}"}`;
    assert.equal((await readSmallFile(docker, 'c', '/etc/docker/daemon.json'))?.toString(), docker.files['/etc/docker/daemon.json']);
    assert.equal(await readSmallFile(docker, 'c', '/missing'), null);
  });

  it('refuses a file over the cap instead of reading it whole', async () => {
    const docker = new FakeDocker();
    docker.files['/big'] = 'y'.repeat(5000);
    await assert.rejects(readSmallFile(docker, 'c', '/big', 4096), /\/big in the image is larger than 4096 bytes/);
  });
});
