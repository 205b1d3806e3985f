// The Kubernetes network-policy e2e scenarios (kubernetes test/e2e/network/netpol, the x/y/z ×
// a/b/c world, ports 80/81 over TCP, UDP and SCTP) as evaluator tests. Each policy is the
// networking.k8s.io/v1 object, converted as Calico converts it; each expectation lists exactly
// the denied pairs (everything else must be allowed).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xyzWorld, yamlResources } from '../support/policy-fixtures.js';
import { denied, pairs, snapshotOf } from '../support/policy-check.js';

const ns = (p: string): string => p.split('/')[0]!;

function world(policies: string) {
  return snapshotOf([...xyzWorld(), ...yamlResources(policies)]);
}

function np(name: string, namespace: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n${spec.replace(/^/gm, '  ')}\n---\n`;
}

describe('Kubernetes NetworkPolicy e2e scenarios on the evaluator', () => {
  it('with no policies everything is allowed', () => {
    const s = world('');
    for (const proto of ['tcp', 'udp', 'sctp'] as const) for (const port of [80, 81]) assert.deepEqual(denied(s, proto, port), []);
    assert.deepEqual(denied(s, 'icmp', null), []);
  });

  it('default-deny-ingress denies all ingress to the namespace, on every protocol', () => {
    const s = world(np('deny-ingress', 'x', 'podSelector: {}\npolicyTypes: [Ingress]'));
    const want = pairs((_, to) => ns(to) === 'x');
    for (const proto of ['tcp', 'udp', 'sctp'] as const) for (const port of [80, 81]) assert.deepEqual(denied(s, proto, port), want, `${proto}/${port}`);
  });

  it('default-deny-all denies ingress and egress of the namespace', () => {
    const s = world(np('deny-all', 'x', 'podSelector: {}\npolicyTypes: [Ingress, Egress]'));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from, to) => ns(from) === 'x' || ns(to) === 'x'));
  });

  it('allow-all ingress ({} rule) after a default deny allows everything again', () => {
    const s = world(np('deny', 'x', 'podSelector: {}\npolicyTypes: [Ingress]') + np('allow-all', 'x', 'podSelector: {}\ningress: [{}]'));
    assert.deepEqual(denied(s, 'tcp', 80), []);
  });

  it('ingress from pods in the same namespace by podSelector', () => {
    const s = world(np('from-b', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from, to) => to === 'x/a' && from !== 'x/b'));
  });

  it('ingress only from other namespaces (namespaceSelector NotIn)', () => {
    const s = world(np('other-ns', 'x', "podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] } }] }]"));
    assert.deepEqual(denied(s, 'tcp', 80), ['x/b→x/a', 'x/c→x/a']);
  });

  it('podSelector AND namespaceSelector in one peer', () => {
    const s = world(np('and', 'x', "podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] }, podSelector: { matchLabels: { pod: b } } }] }]"));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from, to) => to === 'x/a' && !['y/b', 'z/b'].includes(from)));
  });

  it('podSelector OR namespaceSelector as two peers', () => {
    const s = world(np('or', 'x', "podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: ns, operator: NotIn, values: [x] }] } }, { podSelector: { matchLabels: { pod: b } } }] }]"));
    assert.deepEqual(denied(s, 'tcp', 80), ['x/c→x/a']);
  });

  it('namespaceSelector by the kubernetes.io/metadata.name label the API server sets', () => {
    const s = world(np('by-name', 'x', "podSelector: {}\ningress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } } }] }]"));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from, to) => ns(to) === 'x' && ns(from) !== 'y'));
  });

  it('ingress on one port: the other port is denied', () => {
    const s = world(np('port-81', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ ports: [{ port: 81 }] }]'));
    assert.deepEqual(denied(s, 'tcp', 81), []);
    assert.deepEqual(denied(s, 'tcp', 80), pairs((_, to) => to === 'x/a'));
  });

  it('ports default to TCP: UDP to the same port numbers is denied', () => {
    const s = world(np('ports', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ ports: [{ port: 80 }, { port: 81 }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), []);
    assert.deepEqual(denied(s, 'tcp', 81), []);
    assert.deepEqual(denied(s, 'udp', 80), pairs((_, to) => to === 'x/a'));
  });

  it('a named port resolves on the destination pod', () => {
    const s = world(np('named', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ ports: [{ port: serve-81-tcp }] }]'));
    assert.deepEqual(denied(s, 'tcp', 81), []);
    assert.deepEqual(denied(s, 'tcp', 80), pairs((_, to) => to === 'x/a'));
  });

  it('endPort opens a range of ports', () => {
    const s = world(np('range', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ ports: [{ port: 80, endPort: 81 }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), []);
    assert.deepEqual(denied(s, 'tcp', 81), []);
    assert.deepEqual(denied(s, 'tcp', 82), pairs((_, to) => to === 'x/a'));
  });

  it('SCTP only: TCP to the same port is denied', () => {
    const s = world(np('sctp', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ ports: [{ port: 80, protocol: SCTP }] }]'));
    assert.deepEqual(denied(s, 'sctp', 80), []);
    assert.deepEqual(denied(s, 'tcp', 80), pairs((_, to) => to === 'x/a'));
  });

  it('egress only to one namespace', () => {
    const s = world(np('egress-y', 'x', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{ to: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]'));
    assert.deepEqual(denied(s, 'udp', 81), pairs((from, to) => ns(from) === 'x' && ns(to) !== 'y'));
  });

  it('egress to an ipBlock with except', () => {
    const s = world(np('ipblock', 'x', 'podSelector: { matchLabels: { pod: a } }\npolicyTypes: [Egress]\negress: [{ to: [{ ipBlock: { cidr: 10.0.0.0/16, except: [10.0.1.0/24] } }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), ['x/a→y/a', 'x/a→y/b', 'x/a→y/c']);
  });

  it('egress rule without peers on one port allows that port to everyone, nothing else', () => {
    const s = world(np('egress-80', 'x', 'podSelector: { matchLabels: { pod: a } }\npolicyTypes: [Egress]\negress: [{ ports: [{ port: 80 }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), []);
    assert.deepEqual(denied(s, 'tcp', 81), pairs((from) => from === 'x/a'));
  });

  it('policies are additive: the union of what each allows', () => {
    const s = world(np('from-b', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ podSelector: { matchLabels: { pod: b } } }] }]')
      + np('from-y', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ namespaceSelector: { matchLabels: { ns: y } } }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), ['x/c→x/a', 'z/a→x/a', 'z/b→x/a', 'z/c→x/a']);
  });

  it('a policy whose podSelector matches nothing changes nothing', () => {
    const s = world(np('nobody', 'x', 'podSelector: { matchLabels: { pod: nope } }\npolicyTypes: [Ingress, Egress]'));
    assert.deepEqual(denied(s, 'tcp', 80), []);
  });

  it('an empty namespaceSelector means every namespace', () => {
    const s = world(np('all-ns', 'x', 'podSelector: { matchLabels: { pod: a } }\ningress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: c } } }] }]'));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from, to) => to === 'x/a' && !from.endsWith('/c')));
  });

  it('deny-all egress and a matching allow-ingress elsewhere: egress still wins', () => {
    const s = world(np('no-egress', 'y', 'podSelector: {}\npolicyTypes: [Egress]') + np('open', 'x', 'podSelector: {}\ningress: [{}]'));
    assert.deepEqual(denied(s, 'tcp', 80), pairs((from) => ns(from) === 'y'));
  });
});
