import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDaemon, startedContext } from '../../core/engine/lifecycle/run-hooks.js';
import { FakeDocker, MemoryHost, prepareTest, ubuntuFacts } from 'envbox/testing';
import { proxyPlugin } from '../proxy/index.js';
import { registryMirrorsPlugin } from '../registry-mirrors/index.js';
import { innerDockerPlugin } from './index.js';
import { mergeDaemonJson } from './merge.js';

const PATH = '/etc/docker/daemon.json';

/**
 * preDaemon (unless ENVBOX_DOCKER_HOST names a daemon), then preStart on a fake container, with the
 * plugins that give dockerd its mirrors and proxies.
 */
async function run(env: Record<string, string>, options: { mtu?: number | null; files?: Record<string, string>; putFails?: Error } = {}) {
  const host = new MemoryHost(env);
  if (options.mtu !== null) host.link(env.ENVBOX_ETHLINK ?? 'eth0', options.mtu ?? 1400);
  const tested = await prepareTest([proxyPlugin(), registryMirrorsPlugin(async () => null), innerDockerPlugin()], { env, host, mode: 'docker' });
  if (!env.ENVBOX_DOCKER_HOST) await planDaemon(tested.app);
  const docker = new FakeDocker();
  docker.files = { ...options.files };
  if (options.putFails) docker.failures.set('putFiles', options.putFails);
  const before = tested.buildLog.length;
  await tested.app.hooks.preStart.promise(startedContext(tested.app, {
    containerId: 'c1', containerName: 'workspace_cvm', facts: ubuntuFacts, docker, signal: new AbortController().signal,
  }));
  const lines = tested.buildLog.slice(before).map((l) => l.output);
  const put = docker.calls.filter((c) => c.method === 'putFiles');
  const written = put.length > 0 && !options.putFails ? JSON.parse(docker.files[PATH]!) : undefined;
  return { docker, lines, put, written };
}

describe('inner-docker plugin', () => {
  it('writes {"mtu"} with the MTU of envbox\'s own dockerd, creating /etc/docker when the image has none', async () => {
    const { written, put, lines } = await run({}, { mtu: 1450 });
    assert.deepEqual(written, { mtu: 1450 }, 'the --mtu of dockerd, from the link');
    assert.deepEqual(put.map((c) => [c.args[1], (c.args[2] as { name: string; mode: number }[]).map((e) => [e.name, e.mode])]),
      [['/etc', [['docker', 0o755], ['docker/daemon.json', 0o644]]]]);
    assert.deepEqual(lines, [`Wrote mtu 1450 into the workspace's ${PATH}`]);
  });

  it('merges with the image\'s daemon.json, keeping its keys', async () => {
    const image = { 'log-level': 'warn', features: { buildkit: true } };
    const { written, put, lines } = await run({}, { files: { [PATH]: JSON.stringify(image) } });
    assert.deepEqual(written, { ...image, mtu: 1400 });
    assert.equal(put[0]!.args[1], '/etc/docker', 'an existing /etc/docker is written into, not replaced');
    assert.match(lines[0]!, /^Wrote mtu 1400 into the workspace's \/etc\/docker\/daemon.json \(merged with the image's; its other keys kept: log-level, features\)$/);
  });

  it('leaves an explicit mtu alone and says so', async () => {
    const { put, lines } = await run({}, { files: { [PATH]: '{"mtu": 1280, "debug": true}' } });
    assert.equal(put.length, 0);
    assert.deepEqual(lines, [`The workspace's ${PATH} already sets everything envbox would; the image's own "mtu" is kept, so envbox's 1400 is not written`]);
  });

  it('takes a number, and writes nothing with off', async () => {
    assert.deepEqual((await run({ ENVBOX_INNER_DOCKER_MTU: '1360' })).written, { mtu: 1360 });
    const off = await run({ ENVBOX_INNER_DOCKER_MTU: 'off' });
    assert.deepEqual([off.put.length, off.lines], [0, []]);
  });

  it('uses the link\'s MTU with an external daemon, and says so when there is none', async () => {
    assert.deepEqual((await run({ ENVBOX_ETHLINK: 'eth1', ENVBOX_DOCKER_HOST: 'unix:///run/d.sock' }, { mtu: 8950 })).written, { mtu: 8950 });
    const none = await run({}, { mtu: null });
    assert.equal(none.put.length, 0);
    assert.match(none.lines[0]!, /^Not writing "mtu" into the workspace's \/etc\/docker\/daemon.json: envbox knows no MTU/);
  });

  it('passes on the outer mirrors and proxies when asked, and makes the file root-only when a proxy holds a password', async () => {
    const outer = { ENVBOX_REGISTRY_MIRRORS: 'https://m1,https://m2', HTTPS_PROXY: 'http://u:pw-long@proxy:3128', NO_PROXY: '.svc', OTHER: 'x' };
    const { written, put } = await run({ ...outer, ENVBOX_INNER_DOCKER_INHERIT_PULL: 'true' });
    assert.deepEqual(written, { mtu: 1400, 'registry-mirrors': ['https://m1', 'https://m2'], proxies: { 'https-proxy': 'http://u:pw-long@proxy:3128', 'no-proxy': '.svc' } });
    assert.equal((put[0]!.args[2] as { mode: number }[])[1]!.mode, 0o600);
    const notAsked = await run(outer);
    assert.deepEqual(notAsked.written, { mtu: 1400 });
    const external = await run({ ENVBOX_INNER_DOCKER_INHERIT_PULL: 'true', ENVBOX_DOCKER_HOST: 'unix:///run/d.sock' });
    assert.match(external.lines[0]!, /^ENVBOX_INNER_DOCKER_INHERIT_PULL: envbox started no dockerd/);
  });

  it('leaves a daemon.json that is not valid JSON alone, with a warning', async () => {
    const { put, lines } = await run({}, { files: { [PATH]: '{"mtu": ' } });
    assert.equal(put.length, 0);
    assert.match(lines[0]!, /^Warning: leaving the image's \/etc\/docker\/daemon.json alone: it is not valid JSON/);
  });

  it('does not stop the workspace when the write fails; it warns', async () => {
    const { lines } = await run({}, { putFails: new Error('put files: no such container') });
    assert.deepEqual(lines, ['Warning: could not write the workspace\'s /etc/docker/daemon.json: put files: no such container']);
  });
});

describe('mergeDaemonJson', () => {
  it('adds only missing keys and reports what it kept', () => {
    assert.deepEqual(mergeDaemonJson('{"mtu":9000,"a":1}', { mtu: 1400, 'registry-mirrors': ['https://m'] }), {
      kind: 'write', text: `${JSON.stringify({ mtu: 9000, a: 1, 'registry-mirrors': ['https://m'] }, null, 2)}\n`,
      added: ['registry-mirrors'], kept: ['mtu'], others: ['a'],
    });
    assert.deepEqual(mergeDaemonJson('', { mtu: 1400 }), { kind: 'write', text: '{\n  "mtu": 1400\n}\n', added: ['mtu'], kept: [], others: [] });
    assert.deepEqual(mergeDaemonJson('[1]', { mtu: 1 }), { kind: 'invalid', reason: 'it is not a JSON object' });
  });
});
