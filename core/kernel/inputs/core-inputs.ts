import { imageFactsSchema } from '../image-facts.js';
import { defineInput } from './define.js';
import {
  absolutePathInput, booleanInput, boundedIntegerInput, containerNameInput, dockerHostInput,
  imageRefInput, ipv4CidrInput, jsonInput, linkNameInput, nameInput, stringInput, textInput, usernameInput, Problem,
} from './input-kinds.js';

/** Inputs owned by the core. Plugins own the rest (see plugins/<name>/inputs.ts). */
export const innerImage = defineInput({
  key: 'innerImage', env: 'CODER_INNER_IMAGE', flag: 'image', schema: imageRefInput, required: true,
  description: 'The workspace image to run as the inner container.', example: 'codercom/enterprise-base:ubuntu',
});
export const innerUsername = defineInput({
  key: 'innerUsername', env: 'CODER_INNER_USERNAME', flag: 'username', schema: usernameInput, required: true,
  description: 'The user in the image that the bootstrap script runs as; its uid, gid and home come from the image. No ":", control characters or surrounding spaces (no /etc/passwd line could match).', example: 'coder',
});
export const agentToken = defineInput({
  key: 'agentToken', env: 'CODER_AGENT_TOKEN', flag: 'agent-token', schema: stringInput, secret: true,
  description: 'The Coder agent token, passed to the workspace and used to send startup logs.', example: '5f1c...-token',
});
export const bootstrapScript = defineInput({
  key: 'bootstrapScript', env: 'CODER_BOOTSTRAP_SCRIPT', flag: 'bootstrap-script', aliases: ['boostrap-script'], schema: stringInput,
  description: 'A shell script run as the user inside the workspace once it starts (usually starts the Coder agent).', example: 'echo hello',
});
export const bridgeCidr = defineInput({
  key: 'bridgeCidr', env: 'CODER_DOCKER_BRIDGE_CIDR', flag: 'bridge-cidr', schema: ipv4CidrInput,
  default: { cidr: '172.19.0.1/30', firstHost: '172.19.0.1', prefix: 30 },
  description: "The CIDR of the outer dockerd's bridge; dockerd gets its first host as --bip.", example: '172.19.0.1/30',
});
export const disableIdmappedMount = defineInput({
  key: 'disableIdmappedMount', env: 'CODER_DISABLE_IDMAPPED_MOUNT', flag: 'disable-idmapped-mount', schema: booleanInput, default: false, boolean: true,
  description: 'Start sysbox-mgr with --disable-idmapped-mount.', example: 'true',
});
export const debug = defineInput({
  key: 'debug', env: 'CODER_DEBUG', flag: 'debug', schema: booleanInput, default: false, boolean: true,
  description: 'Write debug logs (pino JSON) to stderr.', example: 'true',
});
export const dockerHost = defineInput({
  key: 'dockerHost', env: 'ENVBOX_DOCKER_HOST', flag: 'docker-host', schema: dockerHostInput,
  description: 'Use this existing daemon (a unix socket, or tcp://host:port with a port from 1 to 65535); start no dockerd or sysbox, and prune none of its images unless ENVBOX_PRUNE_IMAGES=true.', example: 'unix:///var/run/docker.sock',
});
export const runtime = defineInput({
  key: 'runtime', env: 'ENVBOX_RUNTIME', flag: 'runtime', schema: nameInput, default: 'sysbox-runc',
  description: 'The OCI runtime of the inner container. runc works without sysbox but cannot run nested dockerd or systemd.', example: 'runc',
});
export const ethlink = defineInput({
  key: 'ethlink', env: 'ENVBOX_ETHLINK', flag: 'ethlink', schema: linkNameInput, default: 'eth0',
  description: "The link whose MTU dockerd's bridge gets; when it is missing, envbox warns and omits --mtu.", example: 'eth0',
});
export const containerName = defineInput({
  key: 'containerName', env: 'ENVBOX_CONTAINER_NAME', flag: 'container-name', schema: containerNameInput, default: 'workspace_cvm',
  description: 'The name of the inner container, as Docker accepts it: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (at least 2 characters).', example: 'workspace_cvm',
});
export const idOffset = defineInput({
  key: 'idOffset', env: 'ENVBOX_ID_OFFSET', flag: 'id-offset', default: 100000,
  schema: boundedIntegerInput(1, 2 ** 32 - 65536 * 2, 'ids'),
  description: "The first host id of the userns-remap range (root inside is this id outside). Must match /etc/subuid.", example: '100000',
});
export const usernsUser = defineInput({
  key: 'usernsUser', env: 'ENVBOX_USERNS_USER', flag: 'userns-user', schema: nameInput, default: 'coder',
  description: "The user named in dockerd's --userns-remap.", example: 'coder',
});
export const dockerSocket = defineInput({
  key: 'dockerSocket', env: 'ENVBOX_DOCKER_SOCKET', flag: 'docker-socket', schema: absolutePathInput, default: '/var/run/docker.sock',
  description: "The socket of the dockerd envbox starts.", example: '/var/run/docker.sock',
});
export const dockerDataRoot = defineInput({
  key: 'dockerDataRoot', env: 'ENVBOX_DOCKER_DATA_ROOT', flag: 'docker-data-root', schema: absolutePathInput, default: '/var/lib/docker',
  description: "dockerd's --data-root.", example: '/var/lib/docker',
});
export const dockerFallbackDataRoot = defineInput({
  key: 'dockerFallbackDataRoot', env: 'ENVBOX_DOCKER_FALLBACK_DATA_ROOT', flag: 'docker-fallback-data-root', schema: absolutePathInput, default: '/var/lib/docker.bak',
  description: 'The data root dockerd is restarted on, with the vfs driver, when the disk is full.', example: '/var/lib/docker.bak',
});
export const dockerExecRoot = defineInput({
  key: 'dockerExecRoot', env: 'ENVBOX_DOCKER_EXEC_ROOT', flag: 'docker-exec-root', schema: absolutePathInput, default: '/var/run/docker',
  description: "dockerd's --exec-root.", example: '/var/run/docker',
});
export const dockerPidfile = defineInput({
  key: 'dockerPidfile', env: 'ENVBOX_DOCKER_PIDFILE', flag: 'docker-pidfile', schema: absolutePathInput, default: '/var/run/docker.pid',
  description: "dockerd's --pidfile.", example: '/var/run/docker.pid',
});
export const dockerdLog = defineInput({
  key: 'dockerdLog', env: 'ENVBOX_DOCKERD_LOG', flag: 'dockerd-log', schema: absolutePathInput,
  description: "Also append dockerd's output to this file (it always goes to the debug log).", example: '/var/log/envbox-dockerd.log',
});
export const daemonTimeout = defineInput({
  key: 'daemonTimeout', env: 'ENVBOX_DAEMON_TIMEOUT', flag: 'daemon-timeout', default: 300,
  schema: boundedIntegerInput(1, 86_400, 'seconds'),
  description: 'Seconds to wait for dockerd to answer its ping.', example: '300',
});
export const oomScoreFile = defineInput({
  key: 'oomScoreFile', env: 'ENVBOX_OOM_SCORE_FILE', flag: 'oom-score-file', schema: absolutePathInput, default: '/proc/self/oom_score_adj',
  description: 'Where envbox writes its own OOM score of -1000.', example: '/proc/self/oom_score_adj',
});
export const cgroupRoot = defineInput({
  key: 'cgroupRoot', env: 'ENVBOX_CGROUP_ROOT', flag: 'cgroup-root', schema: absolutePathInput, default: '/sys/fs/cgroup',
  description: 'Where the cgroup filesystem is mounted; read for the outer CPU quota.', example: '/sys/fs/cgroup',
});
export const imageFacts = defineInput({
  key: 'imageFacts', env: 'ENVBOX_IMAGE_FACTS', flag: 'image-facts', schema: jsonInput(imageFactsSchema, 'image facts', false),
  description: '`plan` only: use these image facts instead of pulling and inspecting the image. uid and gid plus ENVBOX_ID_OFFSET must stay at most 4294967294.',
  example: '{"uid":1000,"gid":1000,"home":"/home/coder","hasInit":false,"osReleaseId":"ubuntu"}',
});
export const shutdownTimeout = defineInput({
  key: 'shutdownTimeout', env: 'ENVBOX_SHUTDOWN_TIMEOUT', flag: 'shutdown-timeout', default: 90,
  schema: boundedIntegerInput(0, 86_400, 'seconds'),
  description: 'Seconds the bootstrap process gets to exit after SIGTERM.', example: '90',
});
export const bootstrapLogLimit = defineInput({
  key: 'bootstrapLogLimit', env: 'ENVBOX_BOOTSTRAP_LOG_LIMIT', flag: 'bootstrap-log-limit', default: 1024 * 1024,
  schema: boundedIntegerInput(0, 2 ** 40, 'bytes'),
  description: 'How many bytes of bootstrap output go to the build log (the original kept 1 KiB).', example: '1048576',
});


export const statusFile = defineInput({
  key: 'statusFile', env: 'ENVBOX_STATUS_FILE', flag: 'status-file', schema: absolutePathInput, default: '/run/envbox/status.json',
  description: 'Where envbox keeps its phase for `envbox status`. The ready marker that readiness probes read, `ready`, goes in the same directory.', example: '/run/envbox/status.json',
});
export const terminationLog = defineInput({
  key: 'terminationLog', env: 'ENVBOX_TERMINATION_LOG', flag: 'termination-log', schema: absolutePathInput, default: '/dev/termination-log',
  description: 'Where `docker` writes the reason for a fatal error, for Kubernetes to show (`plan` never writes it). An absolute path; an invalid value is not written to.', example: '/dev/termination-log',
});

export const pullPolicy = defineInput({
  key: 'pullPolicy', env: 'ENVBOX_PULL_POLICY', flag: 'pull-policy', default: 'always' as 'always' | 'if-not-present' | 'never',
  schema: textInput((t) => (t === 'always' || t === 'if-not-present' || t === 'never' ? t : new Problem(`"${t}" is not one of always, if-not-present, never`))),
  description: 'When to pull the workspace image, as Kubernetes\' imagePullPolicy: always, if-not-present, or never.', example: 'if-not-present',
});

export const pruneImages = defineInput({
  key: 'pruneImages', env: 'ENVBOX_PRUNE_IMAGES', flag: 'prune-images', schema: booleanInput, boolean: true,
  description:
    'Remove every unused image after creating the workspace, to free disk. Default: yes on the dockerd envbox starts, '
    + 'no on an ENVBOX_DOCKER_HOST daemon (others may share it); true or false decides for either.',
  example: 'false',
});

/**
 * Public, not the rootless plugin's own: gpu, mounts and the device plugins adapt to it when they check
 * their inputs (at `configure`, before the daemon's identity is known). The plugin "rootless" runs the daemon so.
 */
export const rootless = defineInput({
  key: 'rootless', env: 'ENVBOX_ROOTLESS', flag: 'rootless', schema: booleanInput, default: false, boolean: true,
  description:
    'Run the managed dockerd rootless (rootlesskit + slirp4netns) as ENVBOX_ROOTLESS_USER, so the pod needs no privileged flag and no added '
    + 'capability (see docs/rootless.md for what it needs and cannot do). Implies ENVBOX_RUNTIME=runc.',
  example: 'true',
});
export const CORE_INPUTS = [
  innerImage, innerUsername, agentToken, bootstrapScript,
  bridgeCidr, disableIdmappedMount, debug, dockerHost, runtime, ethlink, containerName, idOffset, usernsUser,
  dockerSocket, dockerDataRoot, dockerFallbackDataRoot, dockerExecRoot, dockerPidfile, dockerdLog, daemonTimeout,
  oomScoreFile, cgroupRoot, imageFacts, shutdownTimeout, bootstrapLogLimit, statusFile, terminationLog, pullPolicy, pruneImages,
  rootless,
] as const;

