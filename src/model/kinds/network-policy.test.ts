import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'allow-tcp-6379', namespace: string | null = 'production'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, ...(namespace === null ? {} : { namespace }) }, spec,
});
const stored = (d: unknown): Record<string, unknown> => {
  const r = validateDocument(d);
  assert.ok(r.ok, JSON.stringify(r.ok ? null : r.issues));
  return r.resource.spec;
};
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample NetworkPolicy is stored with tier and types filled in", () => {
  const r = validateDocument(doc({
    selector: "role == 'database'",
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Allow', metadata: { annotations: { from: 'frontend', to: 'database' } }, protocol: 'TCP', source: { selector: "role == 'frontend'" }, destination: { ports: [6379] } }],
    egress: [{ action: 'Allow' }],
  }));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource, {
    apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy',
    metadata: { name: 'allow-tcp-6379', namespace: 'production' },
    spec: {
      tier: 'default',
      selector: "role == 'database'",
      types: ['Ingress', 'Egress'],
      ingress: [{ action: 'Allow', metadata: { annotations: { from: 'frontend', to: 'database' } }, protocol: 'TCP', source: { selector: "role == 'frontend'" }, destination: { ports: [6379] } }],
      egress: [{ action: 'Allow' }],
    },
  });
});

test('an empty policy selects all() in its namespace (default), denies ingress, and has no order', () => {
  const r = validateDocument(doc({}, 'deny-all', null));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.metadata, { name: 'deny-all', namespace: 'default' });
  assert.deepEqual(r.resource.spec, { tier: 'default', selector: 'all()', types: ['Ingress'], ingress: [], egress: [] });
});

test('order, tier, serviceAccountSelector and performanceHints are kept as given', () => {
  assert.deepEqual(stored(doc({
    tier: 'security', order: 100.5, serviceAccountSelector: "role == 'api'", performanceHints: ['AssumeNeededOnEveryNode'],
    ingress: [{ action: 'Pass' }],
  }, 'security.pass-all')), {
    tier: 'security', order: 100.5, selector: 'all()', serviceAccountSelector: "role == 'api'", performanceHints: ['AssumeNeededOnEveryNode'],
    types: ['Ingress'], ingress: [{ action: 'Pass' }], egress: [],
  });
});

test('types default from the rules present: none or ingress → Ingress, egress only → Egress, both → both', () => {
  const types = (spec: Record<string, unknown>): unknown => stored(doc(spec))['types'];
  const rule = [{ action: 'Allow' }];
  assert.deepEqual(types({}), ['Ingress']);
  assert.deepEqual(types({ ingress: rule }), ['Ingress']);
  assert.deepEqual(types({ egress: rule }), ['Egress']);
  assert.deepEqual(types({ ingress: rule, egress: rule }), ['Ingress', 'Egress']);
  assert.deepEqual(types({ types: [], egress: rule }), ['Egress']);
  // Given types are kept, even where the rules say otherwise (Calico does not check that).
  assert.deepEqual(types({ types: ['Egress'], ingress: rule }), ['Egress']);
});

test('every mistake of a NetworkPolicy is reported with its path', () => {
  assert.deepEqual(paths(doc({
    tier: 'My.Tier',
    order: '1',
    selector: "global() && role == 'x'",
    types: ['Ingress', 'Ingress', 'Sideways'],
    serviceAccountSelector: 'has(',
    performanceHints: ['GoFast'],
    ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [99999] } }],
    egress: 'all',
    namespaceSelector: 'all()',
  }, 'a.b.c')), [
    'metadata.name',
    'spec.egress',
    'spec.ingress[0].destination.ports[0]',
    'spec.namespaceSelector',
    'spec.order',
    'spec.performanceHints[0]',
    'spec.selector',
    'spec.serviceAccountSelector',
    'spec.tier',
    'spec.types',
    'spec.types[1]',
    'spec.types[2]',
  ]);
});

test('policy names: a label with at most one dot, or the knp.default. prefix of converted Kubernetes policies', () => {
  for (const name of ['allow-dns', 'tier1.allow-dns', 'knp.default.allow.from.web']) stored(doc({}, name));
  for (const name of ['a.b.c', 'ossg.other.x']) assert.deepEqual(paths(doc({}, name)), ['metadata.name']);
});

test('at most 1024 rules in each direction', () => {
  const rules = Array.from({ length: 1025 }, () => ({ action: 'Deny' }));
  assert.deepEqual(paths(doc({ ingress: rules, egress: rules })), ['spec.egress', 'spec.ingress']);
});

test("the CLI knows NetworkPolicy by calicoctl's names", () => {
  for (const n of ['networkpolicy', 'networkpolicies', 'NetworkPolicy', 'policy', 'np', 'policies', 'pol', 'pols']) {
    assert.equal(kindByName(n)?.kind, 'NetworkPolicy', n);
  }
});
