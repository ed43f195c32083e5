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

/** What Coder and Terraform would put in for each expression the template uses. */
const SAMPLES: Record<string, string> = {
  'local.name': 'coder-alice-dev',
  'var.namespace': 'coder',
  'var.envbox_image': 'registry.example.com/platform/envbox:0.1.0',
  'var.workspace_image': 'codercom/enterprise-base:ubuntu',
  'var.pull_secret': 'envbox-pull-secret',
  'data.coder_parameter.cpu.value': '2',
  'data.coder_parameter.memory.value': '4',
  'data.coder_workspace.me.access_url': 'https://coder.example.com',
  'data.coder_workspace.me.name': 'dev',
  'coder_agent.main.init_script': '#!/bin/sh\necho starting the agent',
  'kubernetes_secret_v1.agent[0].metadata[0].name': 'coder-alice-dev-agent',
  'kubernetes_persistent_volume_claim_v1.home.metadata[0].name': 'coder-alice-dev-home',
};

type Hcl = Record<string, any>;
let hcl: Hcl;
before(async () => { hcl = await parse('main.tf', text) as Hcl; });

const podResource = () => hcl.resource.kubernetes_pod_v1.main[0];
const envOf = (name: string) => podResource().spec[0].container[0].env.find((e: Hcl) => e.name === name);

describe('examples/coder/main.tf', () => {
  it('parses as HCL and uses the coder and kubernetes providers', () => {
    assert.deepEqual(Object.keys(hcl.terraform[0].required_providers[0]).sort(), ['coder', 'kubernetes']);
  });

  it('passes the agent token (through a Secret), URL and init script, and the workspace name as hostname', () => {
    assert.equal(hcl.resource.kubernetes_secret_v1.agent[0].data.token, '${coder_agent.main.token}');
    assert.equal(envOf('CODER_AGENT_TOKEN').value_from[0].secret_key_ref[0].name, '${kubernetes_secret_v1.agent[0].metadata[0].name}');
    assert.equal(envOf('CODER_AGENT_URL').value, '${data.coder_workspace.me.access_url}');
    assert.equal(envOf('CODER_BOOTSTRAP_SCRIPT').value, '${coder_agent.main.init_script}');
    assert.equal(envOf('CODER_INNER_HOSTNAME').value, '${data.coder_workspace.me.name}');
  });

  it('has parameters for CPU, memory and disk, and uses them for the limits and the claim', () => {
    assert.deepEqual(Object.keys(hcl.data.coder_parameter).sort(), ['cpu', 'disk', 'memory']);
    const limits = podResource().spec[0].container[0].resources[0].limits;
    assert.equal(limits.cpu, '${data.coder_parameter.cpu.value}');
    assert.equal(limits.memory, '${data.coder_parameter.memory.value}Gi');
    const claim = hcl.resource.kubernetes_persistent_volume_claim_v1.home[0];
    assert.equal(claim.spec[0].resources[0].requests.storage, '${data.coder_parameter.disk.value}Gi');
  });

  it('starts the pod only while the workspace runs, and keeps the claim when it stops', () => {
    assert.equal(podResource().count, '${data.coder_workspace.me.start_count}');
    assert.equal(hcl.resource.kubernetes_persistent_volume_claim_v1.home[0].count, undefined);
  });

  it('refuses to check an expression it has no sample for', () => {
    assert.throws(() => substitute('${data.nope}', SAMPLES), /no sample value for the Terraform expression \$\{data.nope\}/);
  });
});

describe('examples/coder/main.tf as the Pod the kubernetes provider creates', () => {
  const configMaps = configMapsOf(loadManifests());
  checkEnvboxPod({
    label: 'main.tf pod',
    pod: () => asPod(podFromTerraform(podResource(), SAMPLES)),
    configMaps,
    samples: { secrets: { 'envbox-pull-secret/.dockerconfigjson': SAMPLE_PULL_SECRET, 'coder-alice-dev-agent/token': 'agent-token-sample' } },
  });
});
