import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHost } from '../../../testing/memory-host.js';
import { resolveAsCreated } from './resolve-path.js';

describe('resolveAsCreated: where a path leads, also before it exists', () => {
  const host = new MemoryHost()
    .dir('/etc').dir('/data/real')
    .symlink('/tmp/l', '/etc')
    .symlink('/data/rel', '../etc')
    .symlink('/data/dangling', '/etc/not-yet')
    .symlink('/data/loop', '/data/loop');

  for (const [path, lands] of [
    ['/data/real/x', '/data/real/x'],
    ['/data/real', '/data/real'],
    ['/tmp/l', '/etc'],
    ['/tmp/l/new', '/etc/new'],
    ['/tmp/l/new/deeper/', '/etc/new/deeper'],
    ['/data/rel/new', '/etc/new'],
    ['/data/dangling', '/etc/not-yet'],
    ['/data/dangling/below', '/etc/not-yet/below'],
    ['/missing/a/b', '/missing/a/b'],
    ['/', '/'],
  ] as const) {
    it(`${path} -> ${lands}`, async () => {
      assert.equal(await resolveAsCreated(host, path), lands);
    });
  }

  it('ends on a link loop (as the kernel gives up), judging the rest by its name', async () => {
    assert.match(await resolveAsCreated(host, '/data/loop/x'), /^\/data\/loop\/x$/);
  });
});
