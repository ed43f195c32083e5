/**
 * Turns the `kubernetes_pod_v1` resource of a Terraform template, as @cdktf/hcl2json parses it, into
 * the Pod object the kubernetes provider sends, so that the Kubernetes schemas can check it too.
 * The provider's names are the API's in snake_case; a repeated block is one list entry per block.
 */
const REPEATED_BLOCKS: Record<string, string> = {
  container: 'containers', init_container: 'initContainers', volume: 'volumes', volume_mount: 'volumeMounts',
  env: 'env', env_from: 'envFrom', port: 'ports', toleration: 'tolerations', image_pull_secrets: 'imagePullSecrets',
};

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Every `${expression}` in a string gets the sample value a test gives for it; an expression without
 * a sample fails, so a new reference in the template cannot slip past unchecked.
 */
export function substitute(value: string, samples: Record<string, string>): string {
  // `$${` is Terraform's escape for a literal `${` (a shell's parameter expansion, say).
  return value.replace(/(\$?)\$\{([^}]+)\}/g, (_, escaped: string, expression: string) => {
    if (escaped) return `\${${expression}}`;
    const sample = samples[expression.trim()];
    if (sample === undefined) throw new Error(`no sample value for the Terraform expression \${${expression}}`);
    return sample;
  });
}

function attribute(value: Json, samples: Record<string, string>): Json {
  if (typeof value === 'string') return substitute(value, samples);
  if (Array.isArray(value)) return value.map((v) => attribute(v, samples));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, attribute(v, samples)]));
  }
  return value;
}

/** A block body: its attributes keep their map keys (labels), its nested blocks are converted. */
function block(body: Record<string, Json>, samples: Record<string, string>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(body)) {
    const isBlockList = Array.isArray(value) && value.length > 0 && value.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (!isBlockList) {
      out[camel(key)] = attribute(value, samples);
    } else if (key in REPEATED_BLOCKS) {
      out[REPEATED_BLOCKS[key]!] = (value as Record<string, Json>[]).map((b) => block(b, samples));
    } else {
      if (value.length !== 1) throw new Error(`the block "${key}" is given ${value.length} times; the API takes one`);
      out[camel(key)] = block(value[0] as Record<string, Json>, samples);
    }
  }
  return out;
}

export function podFromTerraform(resource: { metadata: Record<string, Json>[]; spec: Record<string, Json>[] }, samples: Record<string, string>) {
  const [metadata, spec] = [resource.metadata[0], resource.spec[0]];
  if (!metadata || !spec) throw new Error('the pod resource needs a metadata and a spec block');
  return { apiVersion: 'v1', kind: 'Pod', metadata: block(metadata, samples), spec: block(spec, samples) };
}
