import { coreInputs, type DaemonSpec, type EnvboxPlugin, messageOf, readSmallFile, type StartedContext } from 'envbox';
import { innerDockerInheritPull, innerDockerMtu } from './inputs.js';
import { mergeDaemonJson, type DaemonSettings } from './merge.js';

const DAEMON_JSON = '/etc/docker/daemon.json';

/**
 * The workspace's own dockerd (under sysbox) gets MTU 1500 on its bridge by default, while the pod's
 * link is often smaller: TCP handshakes pass and big packets vanish (coder/envbox#167). This writes
 * "mtu" (and, if asked, the outer daemon's mirrors and proxies) into the workspace's daemon.json
 * after the container is created and before it starts, so the inner dockerd reads it at its first start.
 */
export function innerDockerPlugin(): EnvboxPlugin {
  // What the managed dockerd finally got, after every plugin's preDaemon tap.
  let outer: DaemonSpec | null = null;
  return {
    name: 'inner-docker',
    inputs: [innerDockerMtu, innerDockerInheritPull],
    apply({ hooks, stages }) {
      hooks.preDaemon.tap({ stage: stages.POLICY }, (daemon) => {
        outer = daemon;
        return daemon;
      });

      hooks.preStart.tap(async (ctx) => {
        const wanted = await settingsFor(ctx, outer);
        if (Object.keys(wanted).length === 0) return;
        try {
          await writeDaemonJson(ctx, wanted);
        } catch (error) {
          // The workspace works without it; only a dockerd inside it would miss the setting.
          ctx.buildLog.warn(`could not write the workspace's ${DAEMON_JSON}: ${messageOf(error)}`);
        }
      });
    },
  };
}

function flagValues(argv: readonly string[], flag: string): string[] {
  return argv.filter((a) => a.startsWith(`${flag}=`)).map((a) => a.slice(flag.length + 1));
}

async function settingsFor(ctx: StartedContext, outer: DaemonSpec | null): Promise<DaemonSettings> {
  const settings: DaemonSettings = {};
  const mtu = ctx.options.get(innerDockerMtu);
  if (mtu !== 'off') {
    const value = mtu !== 'auto' ? mtu
      : outer ? Number(flagValues(outer.argv, '--mtu').at(-1) ?? NaN)
        : await ctx.host.linkMtu(ctx.options.get(coreInputs.ethlink));
    if (typeof value === 'number' && Number.isInteger(value)) settings.mtu = value;
    else ctx.buildLog.info(`Not writing "mtu" into the workspace's ${DAEMON_JSON}: envbox knows no MTU (ENVBOX_INNER_DOCKER_MTU=auto, and the link ${ctx.options.get(coreInputs.ethlink)} of ENVBOX_ETHLINK is missing)`);
  }
  if (!ctx.options.get(innerDockerInheritPull)) return settings;
  if (!outer) {
    ctx.buildLog.info(`ENVBOX_INNER_DOCKER_INHERIT_PULL: envbox started no dockerd (ENVBOX_DOCKER_HOST), so there are no mirrors or proxies of its own to pass on`);
    return settings;
  }
  const mirrors = flagValues(outer.argv, '--registry-mirror');
  if (mirrors.length > 0) settings['registry-mirrors'] = mirrors;
  const proxies: NonNullable<DaemonSettings['proxies']> = {};
  for (const [env, key] of [['HTTP_PROXY', 'http-proxy'], ['HTTPS_PROXY', 'https-proxy'], ['NO_PROXY', 'no-proxy']] as const) {
    const value = outer.env[env];
    if (value) proxies[key] = value;
  }
  if (Object.keys(proxies).length > 0) settings.proxies = proxies;
  return settings;
}

async function writeDaemonJson(ctx: StartedContext, wanted: DaemonSettings): Promise<void> {
  const { docker, containerId, buildLog } = ctx;
  // Both archive reads at once: each one mounts the container's root in dockerd.
  const [existing, dir] = await Promise.all([readSmallFile(docker, containerId, DAEMON_JSON), docker.statPath(containerId, '/etc/docker')]);
  const merged = mergeDaemonJson(existing?.toString('utf8') ?? null, wanted);
  const describe = (keys: string[]) => keys.map((k) => (k === 'mtu' ? `mtu ${JSON.stringify(wanted.mtu)}` : k)).join(', ');
  if (merged.kind === 'invalid') {
    buildLog.warn(`leaving the image's ${DAEMON_JSON} alone: ${merged.reason}. The workspace's dockerd will not start with it either.`);
    return;
  }
  const keptNote = merged.kept.length > 0
    ? `; the image's own ${merged.kept.map((k) => (k === 'mtu' ? `"mtu" is kept, so envbox's ${wanted.mtu} is not written` : `"${k}" is kept`)).join('; ')}`
    : '';
  if (merged.kind === 'unchanged') {
    buildLog.info(`The workspace's ${DAEMON_JSON} already sets everything envbox would${keptNote}`);
    return;
  }
  // Proxy credentials are secrets: then only root in the workspace may read the file.
  const mode = wanted.proxies && Object.values(wanted.proxies).some((p) => /\/\/[^/@]*:[^/@]*@/.test(p)) ? 0o600 : 0o644;
  const data = Buffer.from(merged.text);
  if (dir !== null) await docker.putFiles(containerId, '/etc/docker', [{ name: 'daemon.json', type: 'file', mode, data }]);
  else await docker.putFiles(containerId, '/etc', [{ name: 'docker', type: 'dir', mode: 0o755 }, { name: 'docker/daemon.json', type: 'file', mode, data }]);
  const from = existing === null ? '' : ` (merged with the image's; its other keys kept${merged.others.length > 0 ? `: ${merged.others.join(', ')}` : ''})`;
  buildLog.info(`Wrote ${describe(merged.added)} into the workspace's ${DAEMON_JSON}${from}${keptNote}`);
}
