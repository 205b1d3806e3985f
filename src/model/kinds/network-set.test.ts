import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, metadata: Record<string, unknown> = { name: 'external-database', namespace: 'staging', labels: { role: 'db' } }): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet', metadata, spec,
});
const problems = (d: unknown): Array<[string, string]> => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => [i.path, i.message] as [string, string]).sort();
};

test("Calico's sample NetworkSet round-trips unchanged", () => {
  const r = validateDocument(doc({ nets: ['198.51.100.0/28', '203.0.113.0/24'] }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource, {
    apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet',
    metadata: { name: 'external-database', namespace: 'staging', labels: { role: 'db' } },
    spec: { nets: ['198.51.100.0/28', '203.0.113.0/24'] },
  });
});

test('bare addresses and host bits are accepted, and stored as the networks Felix uses', () => {
  const r = validateDocument(doc({ nets: ['192.168.1.1', '10.1.2.3/24', 'FD00::1', '2001:DB8::/32'] }, { name: 'mixed' }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, { nets: ['192.168.1.1/32', '10.1.2.0/24', 'fd00::1/128', '2001:db8::/32'] });
  assert.deepEqual(r.resource.metadata, { name: 'mixed', namespace: 'default' });
});

test('an empty NetworkSet has no nets', () => {
  const r = validateDocument(doc(undefined, { name: 'none' }));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.spec, { nets: [] });
});

test('every mistake of a NetworkSet is reported with its path', () => {
  assert.deepEqual(problems(doc({ nets: ['garbage', '10.0.0.0/33', '10.0.0.0/8', '10.0.0.0/8'], allowedEgressDomains: ['x.com'] })), [
    ['spec.allowedEgressDomains', 'unknown field'],
    ['spec.nets[0]', '"garbage" is not a valid IP address or CIDR'],
    ['spec.nets[1]', '"10.0.0.0/33" is not a valid IP address or CIDR'],
    ['spec.nets[3]', '"10.0.0.0/8" is listed twice (also at nets[2])'],
  ]);
});

test("the CLI knows NetworkSet by calicoctl's names", () => {
  for (const n of ['networkset', 'networksets', 'netsets']) assert.equal(kindByName(n)?.kind, 'NetworkSet', n);
});
