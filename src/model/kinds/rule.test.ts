import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDocument } from '../validate.js';

// Rules are exercised through a NetworkPolicy document, so the whole path (envelope, metadata,
// spec, rules) runs as it does for `tortie apply`.
const policy = (spec: Record<string, unknown>): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'ns1' }, spec,
});
const ingress = (...rules: unknown[]): unknown => policy({ ingress: rules });
const egress = (...rules: unknown[]): unknown => policy({ egress: rules });

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

test('a rule using every field round-trips, in Calico\'s canonical forms', () => {
  const rule = {
    action: 'Allow', ipVersion: 4, protocol: 'tcp',
    source: {
      nets: ['10.1.2.3', '10.0.0.0/8'], notNets: ['10.9.0.0/16'], selector: "app == 'web'", namespaceSelector: "team == 'a'",
      notPorts: [22], serviceAccounts: { names: ['api'], selector: "role == 'x'" },
    },
    destination: { ports: ['80', '8080:8080', '1000:2000', 'http'], notSelector: 'has(debug)' },
    http: { methods: ['GET', 'HEAD'], paths: [{ exact: '/health' }, { prefix: '/api/' }] },
    metadata: { annotations: { 'example.com/why': 'web tier' } },
  };
  assert.deepEqual((stored(ingress(rule))['ingress'] as unknown[])[0], {
    ...rule,
    protocol: 'TCP',
    source: { ...rule.source, nets: ['10.1.2.3/32', '10.0.0.0/8'] },
    destination: { ports: [80, 8080, '1000:2000', 'http'], notSelector: 'has(debug)' },
  });
});

test('IPv6 networks are stored compressed and in lower case; protocols may be numbers', () => {
  const r = (stored(ingress({ action: 'Deny', ipVersion: 6, protocol: 58, source: { nets: ['FD00:0:0::/64', 'fd00::1'] } }))['ingress'] as unknown[])[0];
  assert.deepEqual(r, { action: 'Deny', ipVersion: 6, protocol: 58, source: { nets: ['fd00::/64', 'fd00::1/128'] } });
});

test('empty entity rules and empty lists are dropped, as Calico\'s JSON drops them', () => {
  assert.deepEqual(stored(ingress({ action: 'Pass', source: {}, destination: { nets: [], selector: '' } }))['ingress'], [{ action: 'Pass' }]);
});

test('every independent mistake of the rules is reported with its path', () => {
  assert.deepEqual(paths(ingress(
    { action: 'allow' },
    { action: 'Allow', ipVersion: 5, protocol: 'ICMP', icmp: { type: 300 } },
    { action: 'Allow', protocol: 'TCP', source: { nets: ['10.0.0.0/33', '10.0.0.1/8'], ports: [0, 70000, 'Bad_Name'], bogus: 1 } },
    { action: 'Log', protocol: 'flood', destination: { selector: 'a ==' } },
    { action: 'Log', metadata: { annotations: { 'bad key': 'x' } } },
    { protocol: 'UDP' },
  )), [
    'spec.ingress[0].action',
    'spec.ingress[1].icmp.type',
    'spec.ingress[1].ipVersion',
    'spec.ingress[2].source.bogus',
    'spec.ingress[2].source.nets[0]',
    'spec.ingress[2].source.nets[1]',
    'spec.ingress[2].source.ports[0]',
    'spec.ingress[2].source.ports[1]',
    'spec.ingress[2].source.ports[2]',
    'spec.ingress[3].destination.selector',
    'spec.ingress[3].protocol',
    'spec.ingress[4].metadata.annotations["bad key"]',
    'spec.ingress[5].action',
  ]);
});

test('messages name the value and what was expected', () => {
  const messages = new Map(problems(ingress({ action: 'Allow', protocol: 'TCP', source: { nets: ['10.0.0.0/33', '10.0.0.1/8'], ports: [0] } })));
  assert.equal(messages.get('spec.ingress[0].source.nets[0]'), '"10.0.0.0/33" is not a valid IP address or CIDR');
  assert.equal(messages.get('spec.ingress[0].source.nets[1]'), '"10.0.0.1/8" has host bits set; the network is "10.0.0.0/8"');
  assert.equal(messages.get('spec.ingress[0].source.ports[0]'), '0 is not a port number (1–65535)');
});

test('ports need protocol TCP, UDP or SCTP in the rule', () => {
  assert.deepEqual(paths(ingress({ action: 'Allow', destination: { ports: [80] } })), ['spec.ingress[0].destination.ports']);
  assert.deepEqual(paths(ingress({ action: 'Allow', protocol: 'ICMP', source: { notPorts: [80] } })), ['spec.ingress[0].source.notPorts']);
  for (const protocol of ['UDP', 'sctp', 6, 17, 132]) stored(ingress({ action: 'Allow', protocol, destination: { ports: [80] } }));
});

test('icmp and notICMP need protocol ICMP or ICMPv6; a code needs a type', () => {
  assert.deepEqual(paths(ingress({ action: 'Allow', protocol: 'TCP', icmp: { type: 8 } })), ['spec.ingress[0].icmp']);
  assert.deepEqual(paths(ingress({ action: 'Allow', notICMP: { type: 8 } })), ['spec.ingress[0].notICMP']);
  assert.deepEqual(paths(ingress({ action: 'Allow', protocol: 'ICMP', icmp: { code: 0 } })), ['spec.ingress[0].icmp.code']);
  stored(ingress({ action: 'Allow', protocol: 1, icmp: { type: 8, code: 0 } }, { action: 'Deny', protocol: 'ICMPv6', notICMP: { type: 128 } }));
});

test('ICMP goes with ipVersion 4 and ICMPv6 with 6, for protocol and notProtocol', () => {
  assert.deepEqual(paths(ingress({ action: 'Allow', ipVersion: 6, protocol: 'ICMP' })), ['spec.ingress[0].ipVersion']);
  assert.deepEqual(paths(ingress({ action: 'Allow', ipVersion: 4, notProtocol: 'ICMPv6' })), ['spec.ingress[0].ipVersion']);
});

test('a rule\'s networks agree with its ipVersion and with each other', () => {
  assert.deepEqual(problems(ingress({ action: 'Allow', ipVersion: 4, destination: { nets: ['10.0.0.0/8', 'fd00::/64'] } })), [
    ['spec.ingress[0].destination.nets', 'mixes IPv4 and IPv6 networks in one rule: write one rule per IP version'],
    ['spec.ingress[0].destination.nets[1]', '"fd00::/64" is IPv6 but the rule\'s ipVersion is 4'],
  ]);
  assert.deepEqual(paths(ingress({ action: 'Allow', source: { nets: ['10.0.0.0/8'] }, destination: { notNets: ['fd00::/64'] } })), ['spec.ingress[0].destination.notNets']);
});

test('an http match is for Allow rules with protocol TCP (or none)', () => {
  assert.deepEqual(paths(ingress({ action: 'Deny', http: { methods: ['GET'] } })), ['spec.ingress[0].http']);
  assert.deepEqual(paths(ingress({ action: 'Allow', protocol: 'UDP', http: { methods: ['GET'] } })), ['spec.ingress[0].protocol']);
  stored(ingress({ action: 'Allow', protocol: 6, http: { methods: ['GET'] } }));
});

test('http paths are one of exact or prefix, and URL paths; methods are not repeated', () => {
  assert.deepEqual(paths(ingress({
    action: 'Allow',
    http: { methods: ['GET', 'PUT', 'GET'], paths: [{ exact: '/a', prefix: '/b' }, {}, { exact: 'health' }, { prefix: '/a?b' }] },
  })), [
    'spec.ingress[0].http.methods[2]', 'spec.ingress[0].http.paths[0]', 'spec.ingress[0].http.paths[1]',
    'spec.ingress[0].http.paths[2].exact', 'spec.ingress[0].http.paths[3].prefix',
  ]);
});

test('global() belongs in a namespaceSelector, on its own', () => {
  assert.deepEqual(paths(ingress({ action: 'Allow', source: { selector: 'global()' } })), ['spec.ingress[0].source.selector']);
  assert.deepEqual(paths(ingress({ action: 'Allow', source: { namespaceSelector: "global() && a == 'b'" } })), ['spec.ingress[0].source.namespaceSelector']);
  stored(ingress({ action: 'Allow', source: { namespaceSelector: 'global()', selector: "role == 'x'" } }));
});

test('a services match stands alone and takes its ports from the Service', () => {
  assert.deepEqual(problems(ingress({ action: 'Allow', source: { services: { name: 'web' }, selector: 'all()', nets: ['10.0.0.0/8'] } })), [
    ['spec.ingress[0].source.services', 'cannot be combined with nets: a services match takes its endpoints from the Service'],
    ['spec.ingress[0].source.services', 'cannot be combined with selector: a services match takes its endpoints from the Service'],
  ]);
  assert.deepEqual(paths(egress({ action: 'Allow', protocol: 'TCP', destination: { services: { name: 'web', namespace: 'x' }, ports: [80] } })), ['spec.egress[0].destination.ports']);
  assert.deepEqual(paths(ingress({ action: 'Allow', source: { services: {} } })), ['spec.ingress[0].source.services.name']);
  // Ports with a Service are fine on ingress, where the Service is the source.
  stored(ingress({ action: 'Allow', protocol: 'TCP', source: { services: { name: 'web', namespace: 'x' } }, destination: { ports: [80] } }));
});

test('Services are matched in an ingress rule\'s source and an egress rule\'s destination; http only on ingress', () => {
  assert.deepEqual(paths(policy({
    ingress: [{ action: 'Allow', destination: { services: { name: 'web' } } }],
    egress: [{ action: 'Allow', source: { services: { name: 'web' } } }, { action: 'Allow', http: { methods: ['GET'] } }],
  })), ['spec.egress[0].source.services', 'spec.egress[1].http', 'spec.ingress[0].destination.services']);
});

test('at most 256 nets and 50 ports in an entity rule', () => {
  const nets = Array.from({ length: 257 }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`);
  const ports = Array.from({ length: 51 }, (_, i) => i + 1);
  assert.deepEqual(paths(ingress({ action: 'Allow', protocol: 'TCP', source: { nets }, destination: { ports } })), [
    'spec.ingress[0].destination.ports', 'spec.ingress[0].source.nets',
  ]);
});
