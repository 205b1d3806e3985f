import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name }, spec,
});

test('a ClusterInformation as Calico writes it round-trips unchanged', () => {
  const spec = {
    calicoVersion: 'v3.28.0',
    clusterGUID: '0a6f1b4c5e7d4f0c9b2d8e3f6a1c7b90',
    clusterType: 'k8s,bgp,kubeadm,kdd',
    datastoreReady: true,
    variant: 'Calico',
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
});

test('every mistake of a ClusterInformation is reported with its path', () => {
  const r = validateDocument(doc({ datastoreReady: 'yes', clusterGUID: 42, ready: true }, 'cluster'));
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ['metadata.name', 'spec.clusterGUID', 'spec.datastoreReady', 'spec.ready']);
});

test('calicoctl names find ClusterInformation', () => {
  for (const n of ['clusterinformation', 'clusterinformations', 'clusterinfo', 'clusterinfos']) assert.equal(kindByName(n)?.kind, 'ClusterInformation', n);
});
