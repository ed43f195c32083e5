import type { Action } from '../../core/kernel/actions.js';
import type { ImageFacts } from '../../core/kernel/image-facts.js';
import { actionScript, shellQuote as q } from './action-script.js';
import { dockerRunArgs, type CreateBody } from './docker-run-args.js';

/** What `envbox plan` prints, as far as doing the same work by hand needs it. */
export interface PlanDoc {
  daemon: { managed: boolean; argv?: string[] };
  pull?: { image: string; registry: string; auth?: { username?: string } | null };
  container: { name: string; create: CreateBody };
  actions: Action[];
}

/** What plan redacts; `docker run --env NAME` (no value) takes the real one from the caller's environment instead. */
const REDACTED = '[redacted]';

export interface ByHandOptions {
  /** The image facts the plan was made with (envbox reads them from the image; by hand they are known). */
  facts: Pick<ImageFacts, 'uid' | 'home'>;
  /** Env var holding the registry password for `docker login` (passed by name, never on a command line). */
  passwordVar: string;
  /** Env var holding the bootstrap script. */
  bootstrapVar: string;
  /** Where dockerd's output goes. */
  dockerdLog: string;
}

/** A progress mark on stderr: `bench-mark NAME <epoch ns>`, read back by `parseMark`. */
const MARK = 'bench-mark';

/**
 * The shell a person would run as an outer container's entrypoint to do what `envbox docker` does,
 * from envbox's own plan: the actions, dockerd with the same argv (pinged every 50 ms), `docker login`
 * + `docker pull`, `docker run -d` with the same flags, `docker exec` mkdir `~/.coder`, then the
 * bootstrap through `docker exec` (its `ready` goes to stdout); then it waits, as envbox supervises.
 * It marks each phase's end on stderr. Secrets stay in the environment: the script names them only.
 */
export function byHandScript(plan: PlanDoc, options: ByHandOptions): string {
  if (!plan.daemon.managed || !plan.daemon.argv) throw new Error('byHandScript: the plan has no managed dockerd');
  if (!plan.pull) throw new Error('byHandScript: the plan has no pull');
  const host = plan.daemon.argv.find((a) => a.startsWith('--host='))?.slice('--host='.length);
  if (!host) throw new Error(`byHandScript: no --host= in the dockerd argv ${plan.daemon.argv.join(' ')}`);
  const { name, create } = plan.container;
  const body = { ...create, Env: (create.Env ?? []).map((e) => (e.endsWith(`=${REDACTED}`) ? e.slice(0, -REDACTED.length - 1) : e)) };
  const words = (argv: readonly string[]) => argv.map(q).join(' ');
  const user = String(options.facts.uid);
  const username = plan.pull.auth?.username;
  const login = username
    ? [`printf '%s' "$${options.passwordVar}" | docker login -u ${q(username)} --password-stdin ${q(plan.pull.registry)} >/dev/null`]
    : [];
  return [
    `mark() { echo "${MARK} $1 $(date +%s%N)" >&2; }`,
    'mark start',
    actionScript(plan.actions),
    `${words(plan.daemon.argv)} >${q(options.dockerdLog)} 2>&1 &`,
    'dockerd_pid=$!',
    `export DOCKER_HOST=${q(host)}`,
    `until docker version >/dev/null 2>&1; do kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 ${q(options.dockerdLog)} >&2; exit 1; }; sleep 0.05; done`,
    'mark daemon',
    ...login,
    `docker pull -q ${q(plan.pull.image)} >/dev/null`,
    'mark pull',
    `docker run -d ${words(dockerRunArgs(name, body))} >/dev/null`,
    'mark create',
    `docker exec -u ${user} ${q(name)} mkdir -p ${q(`${options.facts.home}/.coder`)}`,
    `printf '%s\\n' "$${options.bootstrapVar}" | docker exec -i -u ${user} -e ${q(`BINARY_DIR=${options.facts.home}/.coder`)} ${q(name)} /bin/sh -s`,
    'mark bootstrap',
    'wait',
  ].join('\n');
}

/** `bench-mark daemon 1764441234567890123` → { name: 'daemon', epochMs: 1764441234567.890123 }; other lines → undefined. */
export function parseMark(line: string): { name: string; epochMs: number } | undefined {
  const m = new RegExp(`^${MARK} (\\w+) (\\d{10,})$`).exec(line.trim());
  if (!m) return undefined;
  const ns = BigInt(m[2]!);
  return { name: m[1]!, epochMs: Number(ns / 1000n) / 1000 };
}
