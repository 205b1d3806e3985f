import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown, name = 'allow-tcp-port-6379'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec,
});
const stored = (d: unknown): Record<string, unknown> => {
  const r = validateDocument(d);
  assert.ok(r.ok, JSON.stringify(r.ok ? null : r.issues));
  return r.resource.spec;
};
const problems = (d: unknown): Array<[string, string]> => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => [i.path, i.message] as [string, string]).sort();
};
const paths = (d: unknown): string[] => problems(d).map(([p]) => p);

test("Calico's sample GlobalNetworkPolicy is stored with the defaults filled in", () => {
  const spec = {
    selector: "role == 'database'",
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'frontend'" }, destination: { ports: [6379] } }],
    egress: [{ action: 'Allow' }],
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.metadata, { name: 'allow-tcp-port-6379' });
  assert.deepEqual(r.resource.spec, { ...spec, tier: 'default', doNotTrack: false, preDNAT: false, applyOnForward: false });
});

test('a pre-DNAT host policy with a namespaceSelector and an order round-trips', () => {
  const spec = {
    tier: 'default', order: 10, selector: 'has(host-endpoint)', namespaceSelector: "env == 'prod'", types: ['Ingress'],
    ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: ['30000:32767'] } }], egress: [],
    doNotTrack: false, preDNAT: true, applyOnForward: true,
  };
  assert.deepEqual(stored(doc(spec)), spec);
});

test('doNotTrack and preDNAT need applyOnForward, and exclude each other', () => {
  assert.deepEqual(problems(doc({ doNotTrack: true, preDNAT: true })), [
    ['spec.applyOnForward', 'must be true when preDNAT is true'],
    ['spec.preDNAT', 'cannot be combined with doNotTrack: a policy runs either before DNAT or untracked'],
  ]);
  assert.deepEqual(paths(doc({ doNotTrack: true })), ['spec.applyOnForward']);
  stored(doc({ doNotTrack: true, applyOnForward: true, egress: [{ action: 'Allow' }] }));
});

test('a preDNAT policy is ingress only', () => {
  assert.deepEqual(paths(doc({ preDNAT: true, applyOnForward: true, egress: [{ action: 'Allow' }] })), ['spec.egress']);
  assert.deepEqual(paths(doc({ preDNAT: true, applyOnForward: true, types: ['Ingress', 'Egress'] })), ['spec.types']);
  assert.deepEqual(stored(doc({ preDNAT: true, applyOnForward: true }))['types'], ['Ingress']);
});

test('global() is not a policy selector, service account selector or namespace selector', () => {
  assert.deepEqual(paths(doc({ selector: 'global()', serviceAccountSelector: 'global()', namespaceSelector: 'global()' })), [
    'spec.namespaceSelector', 'spec.selector', 'spec.serviceAccountSelector',
  ]);
});

test('a Service matched by a global policy needs its namespace', () => {
  assert.deepEqual(paths(doc({
    ingress: [{ action: 'Allow', source: { services: { name: 'web' } } }],
    egress: [{ action: 'Allow', destination: { services: { name: 'db' } } }],
  })), ['spec.egress[0].destination.services.namespace', 'spec.ingress[0].source.services.namespace']);
});

test('every mistake of a GlobalNetworkPolicy is reported with its path', () => {
  assert.deepEqual(paths(doc({
    doNotTrack: 'yes',
    applyOnForward: 1,
    namespaceSelector: 'x in',
    ingress: [{ action: 'Allow', ipVersion: 4, source: { nets: ['fd00::/64'] } }],
    selectors: 'all()',
  }, 'knp.default.x')), [
    'metadata.name', 'spec.applyOnForward', 'spec.doNotTrack', 'spec.ingress[0].source.nets[0]', 'spec.namespaceSelector', 'spec.selectors',
  ]);
});

test("the CLI knows GlobalNetworkPolicy by calicoctl's names", () => {
  for (const n of ['globalnetworkpolicy', 'globalnetworkpolicies', 'gnp', 'gnps']) assert.equal(kindByName(n)?.kind, 'GlobalNetworkPolicy', n);
});
