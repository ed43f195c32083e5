import type { App } from '../app.js';
import type { DockerClient } from '../../kernel/docker-client.js';
import { EnvboxError, InputError, messageOf } from '../../kernel/errors.js';
import { hostIdProblem, type ImageFacts } from '../../kernel/image-facts.js';
import type { PullAuth } from '../../kernel/hooks.js';
import { assertHostIds, resolveImageFacts } from '../read-image-facts.js';
import { sysboxArgv } from '../daemon/sysbox-argv.js';
import { disableIdmappedMount, dockerHost, dockerSocket, idOffset, imageFacts, innerUsername, pullPolicy, runtime } from '../../kernel/inputs/core-inputs.js';
import { REDACTED } from '../../kernel/inputs/options.js';
import { planContainer, planDaemon, planPull, postPullActions, startActions } from './run-hooks.js';
import { pullWithRetry } from './pull.js';
import { redactEnvList, redactEnvRecord, secretFieldsOf } from './redact-plan.js';

function redactAuth(auth: PullAuth | null) {
  if (!auth) return null;
  if ('identitytoken' in auth) return { identitytoken: REDACTED, serveraddress: auth.serveraddress };
  return { username: auth.username, password: REDACTED, serveraddress: auth.serveraddress };
}

/** sysbox-mgr's and sysbox-fs's command lines, as the managed daemons start them; null with runc. */
function sysboxDaemons(app: App): { mgr: string[]; fs: string[] } | null {
  const { options } = app;
  return options.get(runtime) === 'sysbox-runc' ? sysboxArgv({ disableIdmappedMount: options.get(disableIdmappedMount) }) : null;
}

/**
 * `envbox plan`: the same hooks as `docker`, with no side effects performed. Image facts come from
 * ENVBOX_IMAGE_FACTS, or from the image itself through a daemon that is already running.
 */
export async function runPlan(app: App, connect: (host: string) => DockerClient): Promise<string> {
  const { options } = app;
  const given = options.get(imageFacts);
  const idProblem = given ? hostIdProblem(given, options.get(idOffset)) : null;
  if (idProblem !== null) throw new InputError([{ variable: imageFacts.env, problem: idProblem, example: `${imageFacts.env}=${imageFacts.example}` }]);
  const host = options.get(dockerHost);
  const daemonPlan = host === undefined ? await planDaemon(app) : null;
  const { pull, actions: pullActions } = await planPull(app);
  let facts: ImageFacts | undefined = given;
  if (!facts) {
    const address = host ?? `unix://${options.get(dockerSocket)}`;
    try {
      const docker = connect(address);
      await docker.ping();
      await pullWithRetry(docker, pull, app.buildLog, app.log, { attempts: 1, policy: options.get(pullPolicy) === 'never' ? 'never' : 'if-not-present' });
      facts = await resolveImageFacts(docker, pull.image.raw, options.get(innerUsername), options.get(runtime));
    } catch (error) {
      throw new EnvboxError(
        `plan needs the image facts and could not get them from the daemon at ${address}: ${messageOf(error)}`,
        `Pass them instead: --image-facts='{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}' (or ENVBOX_IMAGE_FACTS), or point ENVBOX_DOCKER_HOST at a running daemon.`,
        { cause: error },
      );
    }
    assertHostIds(facts, options.get(idOffset), pull.image.raw, options.get(innerUsername));
  }
  const container = await planContainer(app, facts);
  // Secrets are hidden by the fields that hold them (any length), then by value wherever else they hide.
  const secrets = secretFieldsOf(options);
  const create = container.body.Env ? { ...container.body, Env: redactEnvList(container.body.Env, secrets) } : container.body;
  const document = {
    daemon: daemonPlan
      ? { managed: true, argv: daemonPlan.spawnArgv, env: redactEnvRecord(daemonPlan.launch.env, secrets), sysbox: sysboxDaemons(app) }
      : { managed: false, host },
    pull: { image: pull.image.raw, registry: pull.image.registry, auth: redactAuth(pull.auth) },
    facts,
    container: { name: container.name, create },
    actions: [...startActions(app), ...(daemonPlan?.actions ?? []), ...pullActions, ...postPullActions(app), ...container.actions],
  };
  return app.buildLog.scrub(JSON.stringify(document, null, 2));
}
