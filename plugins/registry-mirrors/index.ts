import { certsDir, coreInputs, type EnvboxPlugin, extraCertsPath, InputError, trustExtraCerts } from 'envbox';
import { registryMirrors } from './inputs.js';
import { probeMirror } from './probe.js';

/** Docker Hub, as image references name it after normalisation. */
const DOCKER_HUB = 'docker.io';

/**
 * ENVBOX_REGISTRY_MIRRORS: --registry-mirror for the managed dockerd, so that workspaces pull
 * Docker Hub images from a mirror close by. A mirror that does not answer is named in the build
 * log, and in the error if the pull then fails (dockerd's own error names only Docker Hub).
 */
export function registryMirrorsPlugin(probe = probeMirror): EnvboxPlugin {
  return {
    name: 'registry-mirrors',
    // The CA and certs.d inputs are shared with certs, which copies them for the image's registry.
    inputs: [registryMirrors, extraCertsPath, certsDir],
    apply({ hooks }) {
      hooks.configure.tap((options) => {
        if (options.get(registryMirrors).length > 0 && options.get(coreInputs.dockerHost) !== undefined) {
          throw new InputError([{
            variable: registryMirrors.env,
            problem: `applies to the dockerd envbox starts, and ${coreInputs.dockerHost.env} names an existing daemon; give that daemon "registry-mirrors" in its daemon.json instead`,
            example: `${registryMirrors.env}=${registryMirrors.example} without ${coreInputs.dockerHost.env}`,
          }]);
        }
        return options;
      });

      hooks.preDaemon.tap((daemon, ctx) => {
        const mirrors = ctx.options.get(registryMirrors);
        if (mirrors.length === 0) return daemon;
        return { ...daemon, argv: [...daemon.argv, ...mirrors.map((m) => `--registry-mirror=${m}`)] };
      });

      hooks.prePull.tap(async (pull, ctx) => {
        const mirrors = ctx.options.get(registryMirrors);
        for (const host of new Set(mirrors.map((m) => new URL(m).host))) {
          if (host !== pull.image.registry) await trustExtraCerts(ctx, host);
        }
        if (mirrors.length === 0 || pull.image.registry !== DOCKER_HUB || ctx.mode !== 'docker') return pull;
        // All at once: each probe may wait out its timeout, and they are independent.
        const reasons = await Promise.all(mirrors.map((mirror) => probe(mirror)));
        const down: string[] = [];
        mirrors.forEach((mirror, i) => {
          const reason = reasons[i];
          if (reason === null || reason === undefined) return;
          ctx.buildLog.warn(`the registry mirror ${mirror} (${registryMirrors.env}) does not answer: ${reason}. dockerd tries the next mirror, then Docker Hub itself.`);
          down.push(`${mirror} (${reason})`);
        });
        if (down.length === 0) return pull;
        const hint = `The registry ${down.length === 1 ? 'mirror' : 'mirrors'} ${down.join(', ')} in ${registryMirrors.env} did not answer, so dockerd tried Docker Hub directly. Check the mirror, or that this pod can reach it.`;
        return { ...pull, failureHints: [...(pull.failureHints ?? []), hint] };
      });
    },
  };
}
