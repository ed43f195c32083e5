import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { checkEnvboxPod, SAMPLE_PULL_SECRET } from './envbox-pod.js';
import { admissionProblems, asPod, configMapsOf, loadManifests, validateAgainstSchema } from './manifests.js';

const manifests = loadManifests();
const configMaps = configMapsOf(manifests);
const samples = { secrets: { 'envbox-pull-secret/.dockerconfigjson': SAMPLE_PULL_SECRET } };

describe('examples/kubernetes', () => {
  it('has the pod, its variants for a sysbox RuntimeClass and unprivileged, the device plugin, the claim and the site config', () => {
    assert.deepEqual(manifests.map((m) => `${m.file}:${m.kind}`), [
      'configmap.yaml:ConfigMap', 'generic-device-plugin.yaml:ConfigMap', 'generic-device-plugin.yaml:DaemonSet',
      'pod-sysbox-runtimeclass.yaml:Pod', 'pod-unprivileged.yaml:Pod', 'pod.yaml:Pod', 'pvc.yaml:PersistentVolumeClaim',
    ]);
  });

  for (const manifest of manifests) {
    it(`${manifest.file} matches the Kubernetes ${manifest.kind} schema`, () => validateAgainstSchema(manifest.kind, manifest.object));
  }

  it('mounts the claim that pvc.yaml makes', () => {
    const claim = manifests.find((m) => m.kind === 'PersistentVolumeClaim')!.object as { metadata: { name: string } };
    for (const pod of manifests.filter((m) => m.kind === 'Pod')) {
      const claims = asPod(pod.object).spec?.volumes?.flatMap((v) => v.persistentVolumeClaim?.claimName ?? []);
      assert.deepEqual(claims, [claim.metadata.name], pod.file);
    }
  });

  for (const manifest of manifests.filter((m) => m.kind === 'Pod')) {
    checkEnvboxPod({ label: manifest.file, pod: () => asPod(manifest.object), configMaps, samples });
  }
});

describe('the checks reject broken manifests', () => {
  const pod = () => asPod(structuredClone(manifests.find((m) => m.file === 'pod.yaml')!.object));
  const container = (p: IPod) => p.spec!.containers[0]!;

  it('a wrong type fails the schema', () => {
    const broken = pod();
    (container(broken).securityContext as Record<string, unknown>).privileged = 'yes';
    assert.throws(() => validateAgainstSchema('Pod', broken), /privileged must be boolean/);
  });

  it('a limit that is no quantity fails the schema', () => {
    const broken = pod();
    container(broken).resources!.limits!.memory = 'four gigs';
    assert.throws(() => validateAgainstSchema('Pod', broken), /memory/);
  });

  it('a missing required field fails the schema', () => {
    const broken = pod();
    delete (container(broken) as Partial<ReturnType<typeof container>>).name;
    assert.throws(() => validateAgainstSchema('Pod', broken), /name/);
  });

  it('a mount of an undeclared volume, a path mounted twice and an escaping subPath fail the pod rules', () => {
    const broken = pod();
    const mounts = container(broken).volumeMounts!;
    mounts.push({ name: 'nope', mountPath: '/x' }, { name: 'home', mountPath: '/home/coder', subPath: '../etc' });
    assert.deepEqual(admissionProblems(broken), [
      'container "envbox": volumeMount "nope" names no volume',
      'container "envbox": /home/coder is mounted twice',
      'container "envbox": subPath "../etc" must be relative, without ".."',
    ]);
  });

  it('a YAML file with a duplicate key does not load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envbox-yaml-'));
    try {
      writeFileSync(join(dir, 'pod.yaml'), 'kind: Pod\nkind: Pod\n');
      assert.throws(() => loadManifests(dir), /unique|duplicate/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
