import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';
import {
  parseWorkloadEndpointName, workloadEndpointName, workloadEndpointNamePrefix,
} from './workload-endpoint.js';

const doc = (name: string, spec: unknown, namespace = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata: { name, namespace }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

const good = {
  node: 'node1',
  orchestrator: 'k8s',
  containerID: '1337495556942031415926535',
  pod: 'my-nginx-b1337a',
  endpoint: 'eth0',
  serviceAccountName: 'default',
  interfaceName: 'cali0ef24ba',
  mac: 'ca:fe:1d:52:bb:e9',
  ipNetworks: ['192.168.0.0/32', 'fd00:10:244::1/128'],
  ipNATs: [{ internalIP: '192.168.0.0', externalIP: '172.16.0.1' }],
  ipv4Gateway: '169.254.1.1',
  profiles: ['kns.default', 'ksa.default.default'],
  ports: [
    { name: 'some-port', port: 1234, protocol: 'TCP' },
    { name: 'another-port', port: 5432, protocol: 'UDP', hostPort: 15432, hostIP: '10.0.0.5' },
    { port: 8080, protocol: 'TCP', hostPort: 80 },
  ],
  allowSpoofedSourcePrefixes: ['10.50.0.0/16'],
};

test("Calico's sample WorkloadEndpoint round-trips unchanged", () => {
  const r = validateDocument(doc('node1-k8s-my--nginx--b1337a-eth0', good));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, good);
  assert.deepEqual(r.resource.metadata, { name: 'node1-k8s-my--nginx--b1337a-eth0', namespace: 'default' });
  assert.equal(r.kind.namespaced, true);
});

test('names are made from the spec, with each part\'s dashes doubled', () => {
  assert.equal(workloadEndpointName({ node: 'node1', orchestrator: 'k8s', pod: 'mypod-1', endpoint: 'eth0' }), 'node1-k8s-mypod--1-eth0');
  assert.equal(workloadEndpointName({ node: 'node-a', orchestrator: 'cni', containerID: 'abc-123', endpoint: 'eth0' }), 'node--a-cni-abc--123-eth0');
  assert.equal(workloadEndpointName({ node: 'h', orchestrator: 'libnetwork', endpoint: 'ep-1' }), 'h-libnetwork-libnetwork-ep--1');
  assert.equal(workloadEndpointName({ node: 'h', orchestrator: 'openstack', workload: 'vm-7', endpoint: 'tap0' }), 'h-openstack-vm--7-tap0');
  assert.throws(() => workloadEndpointName({ node: 'h', orchestrator: 'k8s', endpoint: 'eth0' }), /needs pod/);
  assert.throws(() => workloadEndpointName({ node: 'h', orchestrator: 'k8s', pod: '-p', endpoint: 'eth0' }), /must not start or end with '-'/);
});

test('a name parses back into its parts, a prefix into the parts it holds', () => {
  assert.deepEqual(parseWorkloadEndpointName('node1-k8s-mypod--1-eth0'), { node: 'node1', orchestrator: 'k8s', pod: 'mypod-1', endpoint: 'eth0' });
  assert.deepEqual(parseWorkloadEndpointName('node--a-cni-abc--123-eth0'), { node: 'node-a', orchestrator: 'cni', containerID: 'abc-123', endpoint: 'eth0' });
  assert.deepEqual(parseWorkloadEndpointName('h-libnetwork-libnetwork-ep--1'), { node: 'h', orchestrator: 'libnetwork', endpoint: 'ep-1' });
  assert.deepEqual(parseWorkloadEndpointName('h-openstack-vm--7-tap0'), { node: 'h', orchestrator: 'openstack', workload: 'vm-7', endpoint: 'tap0' });
  assert.deepEqual(parseWorkloadEndpointName('node1-k8s'), { node: 'node1', orchestrator: 'k8s' });
  assert.equal(parseWorkloadEndpointName('a-k8s-b-c-d'), null);
  assert.equal(parseWorkloadEndpointName(''), null);
  for (const ids of [
    { node: 'n-1', orchestrator: 'k8s', pod: 'web-0', endpoint: 'eth0' },
    { node: 'n', orchestrator: 'cni', containerID: 'c--d', endpoint: 'e' },
  ]) assert.deepEqual(parseWorkloadEndpointName(workloadEndpointName(ids)), ids);
});

test('the prefix of a pod\'s endpoints stops at the first missing part', () => {
  assert.equal(workloadEndpointNamePrefix({ node: 'node1', orchestrator: 'k8s', pod: 'my-pod' }), 'node1-k8s-my--pod-');
  assert.equal(workloadEndpointNamePrefix({ node: 'node1', orchestrator: 'k8s' }), 'node1-k8s-');
});

test('a name that does not match the spec is rejected, naming the expected one', () => {
  const r = validateDocument(doc('node1-k8s-other-eth0', good));
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['metadata.name']);
  assert.match(r.issues[0]!.message, /is named "node1-k8s-my--nginx--b1337a-eth0"/);
});

test('the parts of the name are required, per orchestrator', () => {
  assert.deepEqual(paths(doc('x', { orchestrator: 'k8s', interfaceName: 'cali1' })), ['spec.endpoint', 'spec.node', 'spec.pod']);
  assert.deepEqual(paths(doc('x', { node: 'n', orchestrator: 'cni', endpoint: 'eth0', interfaceName: 'cali1' })), ['spec.containerID']);
  assert.deepEqual(paths(doc('x', { node: 'n', orchestrator: 'openstack', endpoint: 'tap0', interfaceName: 'tap0' })), ['spec.workload']);
  assert.deepEqual(paths(doc('x', { node: 'n', endpoint: 'eth0', interfaceName: 'cali1' })), ['spec.orchestrator', 'spec.workload']);
  assert.ok(validateDocument(doc('n-libnetwork-libnetwork-ep', { node: 'n', orchestrator: 'libnetwork', endpoint: 'ep', interfaceName: 'cali1' })).ok);
});

test('every mistake of a WorkloadEndpoint is reported with its path', () => {
  assert.deepEqual(paths(doc('node1-k8s-p-eth0', {
    node: 'node1', orchestrator: 'k8s', pod: 'p', endpoint: 'eth0',
    containerID: '-abc',
    interfaceName: 'cali0123456789abcdef',
    mac: 'ee:ee:ee',
    ipNetworks: ['10.0.0.0/33'],
    ipv4Gateway: 'fe80::1',
    ports: [{ name: 'http', port: 70000, protocol: 'TCP' }],
    qosControls: { ingressBandwidth: -1 },
    labels: {},
  })), [
    'spec.containerID', 'spec.interfaceName', 'spec.ipNetworks[0]', 'spec.ipv4Gateway', 'spec.labels', 'spec.mac',
    'spec.ports[0].port', 'spec.qosControls.ingressBandwidth',
  ]);
});

test('the interface name is required', () => {
  assert.deepEqual(paths(doc('n-k8s-p-eth0', { node: 'n', orchestrator: 'k8s', pod: 'p', endpoint: 'eth0' })), ['spec.interfaceName']);
});

test('cross-field rules: single-address networks, NATs inside them, named or host-mapped ports', () => {
  const base = { node: 'n', orchestrator: 'k8s', pod: 'p', endpoint: 'eth0', interfaceName: 'cali1' };
  const one = (extra: object): string[] => paths(doc('n-k8s-p-eth0', { ...base, ...extra }));
  assert.deepEqual(one({ ipNetworks: ['10.0.0.0/24'] }), ['spec.ipNetworks[0]']);
  assert.deepEqual(one({ ipNetworks: ['10.0.0.1/32'], ipNATs: [{ internalIP: '10.0.0.2', externalIP: '172.16.0.1' }] }), ['spec.ipNATs[0].internalIP']);
  assert.deepEqual(one({ ipNetworks: ['10.0.0.1/32'], ipNATs: [{ internalIP: '10.0.0.1', externalIP: 'fd00::1' }] }), ['spec.ipNATs[0].externalIP']);
  assert.deepEqual(one({ ports: [{ port: 80, protocol: 'TCP' }] }), ['spec.ports[0].name']);
  assert.deepEqual(one({ ports: [{ name: 'ping', port: 1, protocol: 'ICMP' }] }), ['spec.ports[0].protocol']);
  assert.ok(validateDocument(doc('n-k8s-p-eth0', { ...base, ipNetworks: ['10.0.0.1'], ports: [{ name: 'x', port: 1, protocol: 6 }] })).ok);
});

test('calicoctl names find WorkloadEndpoint', () => {
  for (const n of ['workloadendpoint', 'workloadendpoints', 'wep', 'weps']) assert.equal(kindByName(n)?.kind, 'WorkloadEndpoint', n);
});
