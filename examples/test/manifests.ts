import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod, type IPod } from 'kubernetes-models/v1/Pod';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { parseAllDocuments } from 'yaml';

export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KUBERNETES_DIR = join(EXAMPLES_DIR, 'kubernetes');

export interface Manifest {
  file: string;
  kind: string;
  object: Record<string, unknown>;
}

/** Every document of every YAML file in examples/kubernetes; a YAML error (a duplicate key too) throws. */
export function loadManifests(dir = KUBERNETES_DIR): Manifest[] {
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { uniqueKeys: true, strict: true });
    return docs.map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as Record<string, unknown>;
      return { file, kind: String(object.kind), object };
    });
  });
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Pod, ConfigMap, PersistentVolumeClaim, DaemonSet,
};

/** Checks an object against the Kubernetes OpenAPI schema of its kind (kubernetes-models); throws on the first problems. */
export function validateAgainstSchema(kind: string, object: unknown): void {
  const Model = MODELS[kind];
  if (!Model) throw new Error(`no schema for kind ${kind} (add it to MODELS)`);
  new Model(object as never).validate();
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What the API server's pod validation checks beyond the schema (names, references, duplicates);
 * kubernetes-models does not do these. Returns the problems found.
 */
export function admissionProblems(pod: IPod): string[] {
  const problems: string[] = [];
  const spec = pod.spec;
  if (!spec) return ['the pod has no spec'];
  if (!DNS_SUBDOMAIN.test(pod.metadata?.name ?? '')) problems.push(`metadata.name "${pod.metadata?.name}" is not a DNS subdomain`);
  const volumes = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (!DNS_LABEL.test(volume.name)) problems.push(`volume name "${volume.name}" is not a DNS label`);
    if (volumes.has(volume.name)) problems.push(`volume "${volume.name}" is declared twice`);
    volumes.add(volume.name);
  }
  for (const container of spec.containers) {
    const where = `container "${container.name}"`;
    const envNames = new Set<string>();
    for (const env of container.env ?? []) {
      if (envNames.has(env.name)) problems.push(`${where}: env ${env.name} is set twice`);
      envNames.add(env.name);
      const ref = env.valueFrom?.resourceFieldRef;
      if (ref?.containerName && !spec.containers.some((c) => c.name === ref.containerName)) {
        problems.push(`${where}: env ${env.name} refers to no container "${ref.containerName}"`);
      }
    }
    const mountPaths = new Set<string>();
    for (const mount of container.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) problems.push(`${where}: volumeMount "${mount.name}" names no volume`);
      if (mountPaths.has(mount.mountPath)) problems.push(`${where}: ${mount.mountPath} is mounted twice`);
      mountPaths.add(mount.mountPath);
      if (mount.subPath && (mount.subPath.startsWith('/') || mount.subPath.split('/').includes('..'))) {
        problems.push(`${where}: subPath "${mount.subPath}" must be relative, without ".."`);
      }
    }
  }
  return problems;
}

export function asPod(object: unknown): IPod {
  return object as IPod;
}

export function configMapsOf(manifests: Manifest[]): IConfigMap[] {
  return manifests.filter((m) => m.kind === 'ConfigMap').map((m) => m.object as unknown as IConfigMap);
}
