import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, metadata: Record<string, unknown> = { name: 'a-name-for-the-set', labels: { role: 'external-database' } }): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample GlobalNetworkSet round-trips unchanged", () => {
  const r = validateDocument(doc({ nets: ['198.51.100.0/28', '203.0.113.0/24'] }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.metadata, { name: 'a-name-for-the-set', labels: { role: 'external-database' } });
  assert.deepEqual(r.resource.spec, { nets: ['198.51.100.0/28', '203.0.113.0/24'] });
});

test('a bare address is stored as its /32; a repeated net is accepted (no uniqueness rule for global sets)', () => {
  const r = validateDocument(doc({ nets: ['10.0.0.1', '10.0.0.1/32'] }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, { nets: ['10.0.0.1/32', '10.0.0.1/32'] });
});

test('every mistake of a GlobalNetworkSet is reported with its path', () => {
  assert.deepEqual(paths(doc({ nets: ['10.0.0.0/8', 'fd00::/129', 42] }, { name: 'set', namespace: 'default' })), [
    'metadata.namespace', 'spec.nets[1]', 'spec.nets[2]',
  ]);
});

test("the CLI knows GlobalNetworkSet by calicoctl's names", () => {
  for (const n of ['globalnetworkset', 'globalnetworksets', 'gnetsets']) assert.equal(kindByName(n)?.kind, 'GlobalNetworkSet', n);
});
