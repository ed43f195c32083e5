import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { downwardResourceValue } from './quantity.js';

/** Values the cluster would supply: Secret keys by "name/key". */
export interface ClusterSamples {
  secrets: Record<string, string>;
  namespace?: string;
}

export function envboxContainer(pod: IPod): IContainer {
  const container = pod.spec?.containers.find((c) => c.command?.[0] === '/envbox');
  if (!container) throw new Error(`pod ${pod.metadata?.name}: no container runs /envbox`);
  return container;
}

/**
 * The env the kubelet gives the container: plain values, fieldRefs, resourceFieldRefs (computed from the
 * limits, as the kubelet does) and secretKeyRefs (from the samples; an optional one may be absent).
 */
export function resolveContainerEnv(pod: IPod, container: IContainer, samples: ClusterSamples): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of container.env ?? []) {
    const from = item.valueFrom;
    if (!from) {
      env[item.name] = item.value ?? '';
    } else if (from.fieldRef) {
      const fields: Record<string, string | undefined> = { 'metadata.name': pod.metadata?.name, 'metadata.namespace': samples.namespace ?? 'default' };
      const value = fields[from.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`${item.name}: no sample for fieldRef ${from.fieldRef.fieldPath}`);
      env[item.name] = value;
    } else if (from.resourceFieldRef) {
      const ref = from.resourceFieldRef;
      const target = pod.spec?.containers.find((c) => c.name === (ref.containerName ?? container.name));
      const [kind, resource = ''] = ref.resource.split('.');
      const quantity = kind === 'limits' ? target?.resources?.limits?.[resource] : target?.resources?.requests?.[resource];
      // Without a limit the kubelet gives the node's allocatable amount: a workspace bigger than its pod.
      if (quantity === undefined) throw new Error(`${item.name}: ${ref.resource} is not set on container "${target?.name}"`);
      env[item.name] = downwardResourceValue(quantity as string | number, ref.divisor as string | number | undefined);
    } else if (from.secretKeyRef) {
      const value = samples.secrets[`${from.secretKeyRef.name}/${from.secretKeyRef.key}`];
      if (value !== undefined) env[item.name] = value;
      else if (!from.secretKeyRef.optional) throw new Error(`${item.name}: no sample for the secret ${from.secretKeyRef.name}/${from.secretKeyRef.key}`);
    } else {
      throw new Error(`${item.name}: a valueFrom this test does not model`);
    }
  }
  return env;
}

/** The volume that holds `path` in the container, and the path inside that volume. */
export function volumeAt(pod: IPod, container: IContainer, path: string) {
  const mounts = (container.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = mounts[0];
  if (!mount) return undefined;
  const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
  return volume && { mount, volume, rest: path.slice(mount.mountPath.length).replace(/^\//, '') };
}
