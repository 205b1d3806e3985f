import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';

const doc = (spec: unknown): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'HostEndpoint',
  metadata: { name: 'some.name', labels: { type: 'production' } }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample HostEndpoint round-trips unchanged", () => {
  const spec = {
    interfaceName: 'eth0',
    node: 'myhost',
    expectedIPs: ['192.168.0.1', '192.168.0.2'],
    profiles: ['profile1', 'profile2'],
    ports: [{ name: 'some-port', port: 1234, protocol: 'TCP' }, { name: 'another-port', port: 5432, protocol: 'UDP' }],
  };
  const r = validateDocument(doc(spec));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
  assert.deepEqual(r.resource.metadata, { name: 'some.name', labels: { type: 'production' } });
});

test('"*" stands for all of the host\'s interfaces; expected IPs alone pick one', () => {
  assert.ok(validateDocument(doc({ node: 'myhost', interfaceName: '*' })).ok);
  assert.ok(validateDocument(doc({ node: 'myhost', expectedIPs: ['fd00::1'] })).ok);
});

test('protocols are stored in Calico\'s case', () => {
  const r = validateDocument(doc({ node: 'h', interfaceName: 'eth0', ports: [{ name: 'web', port: 80, protocol: 'tcp' }] }));
  assert.ok(r.ok);
  assert.deepEqual((r.resource.spec as { ports: unknown }).ports, [{ name: 'web', port: 80, protocol: 'TCP' }]);
});

test('every mistake of a HostEndpoint is reported with its path', () => {
  assert.deepEqual(paths(doc({
    interfaceName: 'an-interface-name-too-long',
    expectedIPs: ['192.168.0.300'],
    profiles: ['Profile_1'],
    ports: [{ name: 'Web', port: 0, protocol: 'ICMP' }, { port: 80, protocol: 'TCP' }],
    extra: true,
  })), [
    'spec.expectedIPs[0]', 'spec.extra', 'spec.interfaceName', 'spec.node', 'spec.ports[0].name', 'spec.ports[0].port',
    'spec.ports[1].name', 'spec.profiles[0]',
  ]);
});

test('a port whose protocol has no ports is rejected', () => {
  assert.deepEqual(paths(doc({ node: 'h', interfaceName: 'eth0', ports: [{ name: 'ping', port: 1, protocol: 'ICMP' }] })), ['spec.ports[0].protocol']);
});

test('without interfaceName, expectedIPs are required', () => {
  assert.deepEqual(paths(doc({ node: 'myhost' })), ['spec.expectedIPs']);
  assert.deepEqual(paths(doc({ node: 'myhost', interfaceName: '', expectedIPs: [] })), ['spec.expectedIPs']);
});

test('calicoctl names find HostEndpoint', () => {
  for (const n of ['hostendpoint', 'hostendpoints', 'hep', 'heps']) assert.equal(kindByName(n)?.kind, 'HostEndpoint', n);
});
