import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byHandScript, parseMark, type PlanDoc } from './by-hand-script.js';

const plan = (dir: string): PlanDoc => ({
  daemon: { managed: true, argv: ['dockerd', '--host=unix:///var/run/docker.sock', '--data-root=/var/lib/docker', '--mtu=1500'] },
  pull: { image: 'registry.test:5000/workspace:init', registry: 'registry.test:5000', auth: { username: 'envbox-tester' } },
  container: {
    name: 'workspace_cvm',
    create: {
      Image: 'registry.test:5000/workspace:init', User: 'root', Hostname: 'workspace_cvm', Entrypoint: ['/sbin/init'], Cmd: [],
      Env: ['CODER_AGENT_TOKEN=[redacted]', 'CODER_AGENT_SUBSYSTEM=envbox'], HostConfig: { Runtime: 'runc', Binds: [`${dir}/ws:/var/lib/docker`] },
    },
  },
  actions: [{ kind: 'mkdir', path: join(dir, 'ws'), mode: '0755', plugin: 'mounts', hook: 'containerSpec' }],
});

/**
 * A docker CLI stand-in: logs each call (and what came on stdin), fails the first `docker version`
 * (the daemon is not up yet), and runs `docker exec -i ... /bin/sh -s` as that shell would.
 */
const FAKE_DOCKER = `#!/bin/sh
log="$FAKE_DIR/calls"
case "$1" in
  version) if [ -e "$FAKE_DIR/up" ]; then echo "version" >>"$log"; exit 0; fi; touch "$FAKE_DIR/up"; exit 1 ;;
  login) echo "login $* stdin=$(cat) host=$DOCKER_HOST" >>"$log" ;;
  exec) if [ "$2" = -i ]; then echo "exec-i $*" >>"$log"; exec /bin/sh -s; fi; echo "$*" >>"$log" ;;
  *) echo "$*" >>"$log" ;;
esac
`;

describe('byHandScript', () => {
  test('runs the plan\'s steps in order, secrets from the environment only, `ready` on stdout and a mark per phase on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-by-hand-'));
    try {
      const bin = join(dir, 'bin');
      spawnSync('mkdir', [bin]);
      writeFileSync(join(bin, 'docker'), FAKE_DOCKER, { mode: 0o755 });
      writeFileSync(join(bin, 'dockerd'), '#!/bin/sh\necho "dockerd $*"\nexec sleep 0.2\n', { mode: 0o755 });
      const script = byHandScript(plan(dir), {
        facts: { uid: 1000, home: '/home/coder' }, passwordVar: 'REGISTRY_PASSWORD', bootstrapVar: 'CODER_BOOTSTRAP_SCRIPT', dockerdLog: join(dir, 'dockerd.log'),
      });
      const secrets = { REGISTRY_PASSWORD: 'pw-s3cret', CODER_AGENT_TOKEN: 'token-s3cret' };
      for (const secret of Object.values(secrets)) assert.equal(script.includes(secret), false);

      const run = spawnSync('/bin/sh', ['-c', script], {
        env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_DIR: dir, CODER_BOOTSTRAP_SCRIPT: 'echo booting\necho ready', ...secrets },
        encoding: 'utf8', timeout: 10_000,
      });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, 'booting\nready\n', 'the whole bootstrap went to the shell');
      assert.deepEqual(run.stderr.trim().split('\n').map((l) => parseMark(l)?.name), ['start', 'daemon', 'pull', 'create', 'bootstrap']);
      assert.ok(statSync(join(dir, 'ws')).isDirectory(), 'the plan\'s actions ran');
      assert.match(readFileSync(join(dir, 'dockerd.log'), 'utf8'), /^dockerd --host=unix:\/\/\/var\/run\/docker.sock --data-root=\/var\/lib\/docker --mtu=1500$/m);
      assert.deepEqual(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n'), [
        'version',
        'login login -u envbox-tester --password-stdin registry.test:5000 stdin=pw-s3cret host=unix:///var/run/docker.sock',
        'pull -q registry.test:5000/workspace:init',
        `run -d --name workspace_cvm --user root --hostname workspace_cvm --env CODER_AGENT_TOKEN --env CODER_AGENT_SUBSYSTEM=envbox --runtime runc -v ${dir}/ws:/var/lib/docker --entrypoint /sbin/init registry.test:5000/workspace:init`,
        'exec -u 1000 workspace_cvm mkdir -p /home/coder/.coder',
        'exec-i exec -i -u 1000 -e BINARY_DIR=/home/coder/.coder workspace_cvm /bin/sh -s',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dockerd that exits stops the script with its log instead of pinging forever', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-by-hand-'));
    try {
      writeFileSync(join(dir, 'dockerd'), '#!/bin/sh\necho "dockerd: no space left on device"\nexit 1\n', { mode: 0o755 });
      writeFileSync(join(dir, 'docker'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const script = byHandScript(plan(dir), { facts: { uid: 1000, home: '/home/coder' }, passwordVar: 'P', bootstrapVar: 'B', dockerdLog: join(dir, 'dockerd.log') });
      const run = spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(run.status, 1);
      assert.match(run.stderr, /dockerd: no space left on device/);
      assert.equal(run.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a plan it cannot follow is an error', () => {
    const p = plan('/x');
    assert.throws(() => byHandScript({ ...p, daemon: { managed: false } }, { facts: { uid: 1, home: '/h' }, passwordVar: 'P', bootstrapVar: 'B', dockerdLog: '/l' }), /no managed dockerd/);
    assert.throws(() => byHandScript({ ...p, daemon: { managed: true, argv: ['dockerd'] } }, { facts: { uid: 1, home: '/h' }, passwordVar: 'P', bootstrapVar: 'B', dockerdLog: '/l' }), /no --host=/);
  });
});

describe('parseMark', () => {
  test('reads a mark to fractional epoch milliseconds; anything else is not a mark', () => {
    assert.deepEqual(parseMark('bench-mark daemon 1764441234567890123'), { name: 'daemon', epochMs: 1764441234567.89 });
    assert.equal(parseMark('WARNING: IPv4 forwarding is disabled. Networking will not work.'), undefined);
    assert.equal(parseMark('bench-mark daemon soon'), undefined);
  });
});
