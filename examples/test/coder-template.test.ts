import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from '@cdktf/hcl2json';
import { checkEnvboxPod, SAMPLE_PULL_SECRET } from './envbox-pod.js';
import { asPod, configMapsOf, EXAMPLES_DIR, loadManifests } from './manifests.js';
import { podFromTerraform, substitute } from './terraform-pod.js';

const TEMPLATE = join(EXAMPLES_DIR, 'coder', 'main.tf');
const text = readFileSync(TEMPLATE, 'utf8');

/** What Coder's official kubernetes-envbox template does, as facts (see the file's "about"). */
const OFFICIAL = JSON.parse(readFileSync(join(EXAMPLES_DIR, 'test', 'coder-official-template.facts.json'), 'utf8'));

/** What Coder and Terraform would put in for each expression the template uses. */
const SAMPLES: Record<string, string> = {
  'lower(data.coder_workspace_owner.me.name)': 'alice',
  'lower(data.coder_workspace.me.name)': 'dev',
  'var.namespace': 'coder',
  'var.envbox_image': 'registry.example.com/platform/envbox:0.1.0',
  'var.workspace_image': 'codercom/enterprise-base:ubuntu',
  'var.pull_secret': 'envbox-pull-secret',
  'var.create_fuse': 'false',
  'var.create_tun': 'false',
  'var.min_cpus': '0.5',
  'var.max_cpus': '2',
  'var.min_memory': '1',
  'var.max_memory': '4',
  'data.coder_parameter.home_disk.value': '10',
  'data.coder_workspace.me.access_url': 'https://coder.example.com',
  'data.coder_workspace.me.name': 'dev',
  'coder_agent.main.token': 'agent-token-sample',
  'coder_agent.main.init_script': '#!/bin/sh\necho starting the agent',
  'kubernetes_persistent_volume_claim.home.metadata[0].name': 'coder-alice-dev-home',
};

type Hcl = Record<string, any>;
let hcl: Hcl;
before(async () => { hcl = await parse('main.tf', text) as Hcl; });

/** `type.name` → the parsed resource (or data source) body. */
const at = (kind: 'resource' | 'data', address: string): Hcl | undefined => {
  const [type = '', name = ''] = address.replace(/^data\./, '').split('.');
  return hcl[kind]?.[type]?.[name]?.[0];
};
const podResource = () => at('resource', OFFICIAL.pod.address)!;
const container = () => podResource().spec[0].container[0];
const envOf = (name: string) => container().env.find((e: Hcl) => e.name === name);

/**
 * The API resource a kubernetes provider resource type manages: `kubernetes_persistent_volume_claim_v1`
 * → `persistentvolumeclaims`. Every type the provider has follows this rule for the kinds that matter here.
 */
const apiResourceOf = (type: string) => `${type.replace(/^kubernetes_/, '').replace(/_v\d+$/, '').replaceAll('_', '')}s`;

describe('examples/coder/main.tf', () => {
  it('parses as HCL and uses the coder and kubernetes providers', () => {
    assert.deepEqual(Object.keys(hcl.terraform[0].required_providers[0]).sort(), ['coder', 'kubernetes']);
  });

  it('passes the agent token in the pod spec, the URL and init script, and the workspace name as hostname', () => {
    assert.equal(envOf('CODER_AGENT_TOKEN').value, OFFICIAL.pod.agentTokenEnv.value);
    assert.equal(envOf('CODER_AGENT_URL').value, '${data.coder_workspace.me.access_url}');
    assert.equal(envOf('CODER_BOOTSTRAP_SCRIPT').value, '${coder_agent.main.init_script}');
    assert.equal(envOf('CODER_INNER_HOSTNAME').value, '${data.coder_workspace.me.name}');
  });

  it('uses the limits from the variables for the pod and, through the Downward API, for the workspace', () => {
    const { limits, requests } = container().resources[0];
    assert.deepEqual({ limits, requests }, {
      limits: { cpu: '${var.max_cpus}', memory: '${var.max_memory}G' },
      requests: { cpu: '${var.min_cpus}', memory: '${var.min_memory}G' },
    });
  });

  it('starts the pod only while the workspace runs, and keeps the claim when it stops', () => {
    assert.equal(podResource().count, OFFICIAL.pod.count);
    assert.equal(at('resource', OFFICIAL.claim.address)!.count, undefined);
  });

  it('refuses to check an expression it has no sample for', () => {
    assert.throws(() => substitute('${data.nope}', SAMPLES), /no sample value for the Terraform expression \$\{data.nope\}/);
  });
});

describe('examples/coder/main.tf drops in for Coder\'s kubernetes-envbox template', () => {
  it('keeps the claim: the same resource address, name, namespace, access mode, size and no count', () => {
    const claim = at('resource', OFFICIAL.claim.address);
    assert.ok(claim, `a resource ${OFFICIAL.claim.address}: under another address Terraform would destroy the claim and make an empty one`);
    const meta = claim.metadata[0];
    assert.equal(substitute(meta.name, SAMPLES), substitute(OFFICIAL.claim.name, SAMPLES), 'the claim name');
    assert.equal(meta.namespace, OFFICIAL.claim.namespace);
    assert.deepEqual(claim.spec[0].access_modes, OFFICIAL.claim.accessModes);
    assert.deepEqual(claim.spec[0].resources[0].requests, { storage: OFFICIAL.claim.storage });
    assert.equal(claim.wait_until_bound, OFFICIAL.claim.waitUntilBound);
    assert.equal(claim.count !== undefined, OFFICIAL.claim.hasCount);
  });

  it('keeps the pod\'s address, name, namespace and container name', () => {
    const meta = podResource().metadata[0];
    assert.equal(substitute(meta.name, SAMPLES), substitute(OFFICIAL.pod.name, SAMPLES));
    assert.equal(meta.namespace, OFFICIAL.pod.namespace);
    assert.equal(container().name, OFFICIAL.pod.containerName);
  });

  it('mounts the claim by the same subPaths, so a switched workspace finds its home and caches', () => {
    const claimVolume = podResource().spec[0].volume.find((v: Hcl) => v.persistent_volume_claim)!;
    assert.equal(claimVolume.persistent_volume_claim[0].claim_name, `\${${OFFICIAL.claim.address}.metadata[0].name}`);
    const subPaths = Object.fromEntries(container().volume_mount
      .filter((m: Hcl) => m.name === claimVolume.name)
      .map((m: Hcl) => [m.mount_path, m.sub_path]));
    assert.deepEqual(subPaths, OFFICIAL.pod.subPaths);
  });

  it('keeps the disk parameter\'s name, type, default and minimum, which Coder stores per workspace', () => {
    const disk = at('data', OFFICIAL.diskParameter.address);
    assert.ok(disk, OFFICIAL.diskParameter.address);
    const { name, type, default: byDefault, mutable } = OFFICIAL.diskParameter;
    assert.deepEqual({ name: disk.name, type: disk.type, default: disk.default, mutable: disk.mutable }, { name, type, default: byDefault, mutable });
    assert.equal(disk.validation[0].min, OFFICIAL.diskParameter.min);
    assert.deepEqual(Object.keys(hcl.data.coder_parameter), ['home_disk'], 'no other parameter a switched workspace would lack');
  });

  it('has each of the original\'s variables with its type and default; FUSE and TUN are off by default', () => {
    for (const [name, fact] of Object.entries<{ type: string; default?: unknown; env?: string }>(OFFICIAL.variables)) {
      const variable = hcl.variable[name]?.[0];
      assert.ok(variable, `variable "${name}" (an admin's \`coder templates push --variable ${name}=...\` must keep working)`);
      assert.equal(variable.type, `\${${fact.type}}`, `variable "${name}" type`);
      assert.equal(variable.default, fact.default, `variable "${name}" default`);
      if (fact.env) assert.equal(envOf(fact.env).value, `\${var.${name}}`, `${fact.env} comes from var.${name}`);
    }
  });

  it('keeps the agent\'s address, OS and architecture', () => {
    const agent = at('resource', OFFICIAL.agent.address);
    assert.deepEqual({ os: agent?.os, arch: agent?.arch }, { os: OFFICIAL.agent.os, arch: OFFICIAL.agent.arch });
  });

  it('creates and reads only what Coder\'s default workspace role allows (no Secret, no ConfigMap)', () => {
    const used = [...Object.keys(hcl.resource), ...Object.keys(hcl.data)].filter((type) => type.startsWith('kubernetes_'));
    assert.ok(used.length > 0);
    for (const type of used) {
      assert.ok(OFFICIAL.workspaceRole.resources.includes(apiResourceOf(type)), `${type} manages ${apiResourceOf(type)}, which the role ${OFFICIAL.workspaceRole.resources.join(', ')} does not allow`);
    }
  });

  it('maps provider types to the API resources the role names', () => {
    assert.equal(apiResourceOf('kubernetes_persistent_volume_claim_v1'), 'persistentvolumeclaims');
    assert.equal(apiResourceOf('kubernetes_pod'), 'pods');
    assert.equal(apiResourceOf('kubernetes_secret_v1'), 'secrets');
    assert.equal(apiResourceOf('kubernetes_config_map'), 'configmaps');
  });

  it('starts without the site ConfigMap: its volume is optional and nothing names a file in it', () => {
    const volume = podResource().spec[0].volume.find((v: Hcl) => v.config_map);
    assert.equal(volume?.config_map[0].optional, true);
    assert.equal(envOf('ENVBOX_CONFIG'), undefined, 'ENVBOX_CONFIG naming an absent file stops envbox with exit 2');
  });
});

describe('examples/coder/main.tf as the Pod the kubernetes provider creates', () => {
  const configMaps = configMapsOf(loadManifests());
  checkEnvboxPod({
    label: 'main.tf pod',
    pod: () => asPod(podFromTerraform(podResource() as never, SAMPLES)),
    configMaps,
    samples: { secrets: { 'envbox-pull-secret/.dockerconfigjson': SAMPLE_PULL_SECRET } },
  });
});
