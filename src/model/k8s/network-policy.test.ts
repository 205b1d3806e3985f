import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDocument } from '../validate.js';
import { simplifyPorts } from './network-policy.js';

// Examples from the Kubernetes documentation ("Network Policies"), converted as Calico converts them.

const k8s = (name: string, spec: unknown, namespace = 'default'): unknown => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec,
});
const converted = (d: unknown): { metadata: unknown; spec: Record<string, unknown> } => {
  const r = validateDocument(d);
  assert.ok(r.ok, JSON.stringify(r.ok ? null : r.issues));
  assert.equal(r.converted, true);
  assert.equal(r.resource.kind, 'NetworkPolicy');
  return { metadata: r.resource.metadata, spec: r.resource.spec };
};
const problems = (d: unknown): Array<[string, string]> => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => [i.path, i.message] as [string, string]).sort();
};
const K8S = "projectcalico.org/orchestrator == 'k8s'";
const base = { tier: 'default', order: 1000, selector: K8S };

test('default deny of ingress: knp.default.<name>, tier default, order 1000, no rules', () => {
  const r = converted(k8s('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }, 'prod'));
  assert.deepEqual(r.metadata, { name: 'knp.default.default-deny-ingress', namespace: 'prod' });
  assert.deepEqual(r.spec, { ...base, types: ['Ingress'], ingress: [], egress: [] });
});

test('default deny of all traffic', () => {
  assert.deepEqual(converted(k8s('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })).spec, {
    ...base, types: ['Ingress', 'Egress'], ingress: [], egress: [],
  });
});

test('allow all ingress: an empty rule allows everything', () => {
  assert.deepEqual(converted(k8s('allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] })).spec, {
    ...base, types: ['Ingress'], ingress: [{ action: 'Allow' }], egress: [],
  });
});

test('the documentation\'s test-network-policy: ipBlock with except, namespace and pod peers, one port each way', () => {
  const r = converted(k8s('test-network-policy', {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{
      from: [
        { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
        { namespaceSelector: { matchLabels: { project: 'myproject' } } },
        { podSelector: { matchLabels: { role: 'frontend' } } },
      ],
      ports: [{ protocol: 'TCP', port: 6379 }],
    }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
  }));
  assert.deepEqual(r.spec, {
    ...base,
    selector: `${K8S} && role == 'db'`,
    types: ['Ingress', 'Egress'],
    ingress: [
      { action: 'Allow', protocol: 'TCP', source: { nets: ['172.17.0.0/16'], notNets: ['172.17.1.0/24'] }, destination: { ports: [6379] } },
      { action: 'Allow', protocol: 'TCP', source: { selector: K8S, namespaceSelector: "project == 'myproject'" }, destination: { ports: [6379] } },
      { action: 'Allow', protocol: 'TCP', source: { selector: `${K8S} && role == 'frontend'` }, destination: { ports: [6379] } },
    ],
    egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [5978], nets: ['10.0.0.0/24'] } }],
  });
});

test('namespaceSelector and podSelector in one peer are ANDed; an empty namespaceSelector is all()', () => {
  const r = converted(k8s('and-peers', {
    podSelector: { matchLabels: { app: 'api' } },
    ingress: [{ from: [
      { namespaceSelector: { matchLabels: { user: 'alice' } }, podSelector: { matchLabels: { role: 'client' } } },
      { namespaceSelector: {} },
    ] }],
  }));
  assert.deepEqual(r.spec['ingress'], [
    { action: 'Allow', source: { selector: `${K8S} && role == 'client'`, namespaceSelector: "user == 'alice'" } },
    { action: 'Allow', source: { selector: K8S, namespaceSelector: 'all()' } },
  ]);
  assert.deepEqual(r.spec['types'], ['Ingress']);
});

test('matchLabels keys are sorted, then matchExpressions in order: In, NotIn, Exists, DoesNotExist', () => {
  const r = converted(k8s('expressions', {
    podSelector: {
      matchLabels: { tier: 'web', app: 'shop' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'track', operator: 'NotIn', values: ['canary'] },
        { key: 'example.com/owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    },
    ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] } }] }],
  }));
  assert.equal(r.spec['selector'],
    `${K8S} && app == 'shop' && tier == 'web' && env in { 'prod', 'staging' } && track not in { 'canary' } && has(example.com/owner) && ! has(legacy)`);
  assert.deepEqual(r.spec['ingress'], [{ action: 'Allow', source: { selector: K8S, namespaceSelector: "team in { 'a' }" } }]);
});

test('ports: TCP by default, one rule per protocol (sorted) and peer, named ports first, numbers merged into ranges', () => {
  const r = converted(k8s('named-ports', {
    podSelector: {},
    ingress: [{
      from: [{ podSelector: { matchLabels: { a: '1' } } }, { podSelector: { matchLabels: { b: '2' } } }],
      ports: [{ port: 81 }, { protocol: 'UDP', port: 53 }, { port: 'http' }, { protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 53 }],
    }],
  }));
  const tcp = { ports: ['http', 53, '80:81'] };
  assert.deepEqual(r.spec['ingress'], [
    { action: 'Allow', protocol: 'TCP', source: { selector: `${K8S} && a == '1'` }, destination: tcp },
    { action: 'Allow', protocol: 'TCP', source: { selector: `${K8S} && b == '2'` }, destination: tcp },
    { action: 'Allow', protocol: 'UDP', source: { selector: `${K8S} && a == '1'` }, destination: { ports: [53] } },
    { action: 'Allow', protocol: 'UDP', source: { selector: `${K8S} && b == '2'` }, destination: { ports: [53] } },
  ]);
});

test('a port without a number means all ports of that protocol', () => {
  const r = converted(k8s('all-udp', { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP' }, { protocol: 'UDP' }] }] }));
  assert.deepEqual(r.spec['ingress'], [{ action: 'Allow', protocol: 'TCP' }, { action: 'Allow', protocol: 'UDP' }]);
});

test('endPort makes a range; an egress-only policy lists Egress alone', () => {
  const r = converted(k8s('multi-port-egress', {
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
  }));
  assert.deepEqual(r.spec, {
    ...base, selector: `${K8S} && role == 'db'`, types: ['Egress'], ingress: [],
    egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['32000:32768'], nets: ['10.0.0.0/24'] } }],
  });
});

test('without policyTypes, egress rules add Egress (the API server\'s defaulting); CIDRs are stored as networks', () => {
  const r = converted(k8s('allow-dns', {
    podSelector: {},
    egress: [{ to: [{ ipBlock: { cidr: '10.96.0.10/16' } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
  }));
  assert.deepEqual(r.spec['types'], ['Ingress', 'Egress']);
  assert.deepEqual(r.spec['egress'], [
    { action: 'Allow', protocol: 'TCP', destination: { ports: [53], nets: ['10.96.0.0/16'] } },
    { action: 'Allow', protocol: 'UDP', destination: { ports: [53], nets: ['10.96.0.0/16'] } },
  ]);
});

test('SimplifyPorts as Calico: one port or one number passes through; overlaps and neighbours merge', () => {
  assert.deepEqual(simplifyPorts([8080]), [8080]);
  assert.deepEqual(simplifyPorts(['http', 80]), ['http', 80]);
  assert.deepEqual(simplifyPorts([90, '80:85', 86, 84, 'web']), ['web', '80:86', 90]);
});

test('every mistake of a Kubernetes NetworkPolicy is reported with its path in that object', () => {
  assert.deepEqual(problems(k8s('bad', {
    podSelector: { matchExpressions: [{ key: 'env', operator: 'In' }, { key: 'x', operator: 'Exists', values: ['y'] }, { key: 'y', operator: 'Like' }] },
    policyTypes: ['ingress'],
    ingress: [{
      from: [{}, { ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16', '10.0.0.0/8'] } }],
      ports: [{ protocol: 'tcp', port: 80 }, { port: 70000 }, { port: 'http', endPort: 90 }, { port: '8080' }, { port: 90, endPort: 80 }],
    }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }], ports: [{ endPort: 90 }] }],
    extra: true,
  })).map(([p]) => p), [
    'spec.egress[0].ports[0].endPort',
    'spec.egress[0].to[0].ipBlock',
    'spec.extra',
    'spec.ingress[0].from[0]',
    'spec.ingress[0].from[1].ipBlock.cidr',
    'spec.ingress[0].from[2].ipBlock.except[0]',
    'spec.ingress[0].from[2].ipBlock.except[1]',
    'spec.ingress[0].ports[0].protocol',
    'spec.ingress[0].ports[1].port',
    'spec.ingress[0].ports[2].endPort',
    'spec.ingress[0].ports[3].port',
    'spec.ingress[0].ports[4].endPort',
    'spec.podSelector.matchExpressions[0].values',
    'spec.podSelector.matchExpressions[1].values',
    'spec.podSelector.matchExpressions[2].operator',
    'spec.policyTypes[0]',
  ]);
});

test('messages name the Kubernetes values', () => {
  const messages = new Map(problems(k8s('bad', { podSelector: {}, ingress: [{
    from: [{ ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }],
    ports: [{ port: 'http', endPort: 90 }],
  }] })));
  assert.equal(messages.get('spec.ingress[0].from[0].ipBlock.cidr'), '"10.0.0.0/33" is not a valid CIDR');
  assert.equal(messages.get('spec.ingress[0].from[1].ipBlock.except[0]'), '"192.168.0.0/16" is not a strict subset of cidr "10.0.0.0/8"');
  assert.equal(messages.get('spec.ingress[0].ports[0].endPort'), 'cannot be used with the named port "http"');
});

test('a policy name that would be too long once prefixed is rejected at metadata.name', () => {
  assert.deepEqual(problems(k8s('a'.repeat(242), { podSelector: {} })).map(([p]) => p), ['metadata.name']);
  converted(k8s('a'.repeat(241), { podSelector: {} }));
});

test('more than 50 ports of one protocol cannot fit one Calico rule', () => {
  const ports = Array.from({ length: 51 }, (_, i) => ({ port: 1000 + 2 * i }));
  assert.deepEqual(problems(k8s('many', { podSelector: {}, ingress: [{ ports }] })), [
    ['spec.ingress[0].ports', 'has 51 TCP ports or ranges after merging; a Calico rule matches at most 50'],
  ]);
});
