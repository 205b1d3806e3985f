import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kindByName } from '../registry.js';
import { validateDocument } from '../validate.js';
import { communityProblem } from './bgp-configuration.js';

const doc = (spec: unknown, name = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3', kind: 'BGPConfiguration', metadata: { name }, spec,
});
const paths = (d: unknown): string[] => {
  const r = validateDocument(d);
  assert.equal(r.ok, false, 'expected the document to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.path).sort();
};

test("Calico's sample `default` BGPConfiguration is stored with the remaining defaults filled in", () => {
  const sample = {
    logSeverityScreen: 'Info',
    nodeToNodeMeshEnabled: true,
    nodeMeshMaxRestartTime: '120s',
    asNumber: 63400,
    serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
    serviceExternalIPs: [{ cidr: '104.244.42.129/32' }, { cidr: '172.217.3.0/24' }],
    listenPort: 178,
    bindMode: 'NodeIP',
    communities: [{ name: 'bgp-large-community', value: '63400:300:100' }],
    prefixAdvertisements: [{ cidr: '172.218.4.0/26', communities: ['bgp-large-community', '63400:120'] }],
  };
  const r = validateDocument(doc(sample));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, { ...sample, serviceLoadBalancerAggregation: 'Enabled', programClusterRoutes: 'EnabledNoEncapOnly' });
});

test('an empty `default` gets every global default', () => {
  const r = validateDocument(doc({}));
  assert.ok(r.ok);
  assert.deepEqual(r.resource.spec, {
    logSeverityScreen: 'Info', nodeToNodeMeshEnabled: true, asNumber: 64512, listenPort: 179,
    serviceLoadBalancerAggregation: 'Enabled', programClusterRoutes: 'EnabledNoEncapOnly',
  });
});

test('a per-node object keeps only what it sets, so unset fields follow `default`', () => {
  const spec = { logSeverityScreen: 'Debug', listenPort: 1790, prefixAdvertisements: [{ cidr: '10.0.0.0/24', communities: ['65001:100'] }] };
  const r = validateDocument(doc({ ...spec, logSeverityScreen: 'debug' }, 'node.rack1-host1'));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.resource.spec, spec);
});

test('mesh, AS number and service ranges can only be set on `default`', () => {
  const r = validateDocument(doc({
    nodeToNodeMeshEnabled: true, asNumber: 65001, serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
    serviceExternalIPs: [], nodeMeshMaxRestartTime: '60s', listenPort: 1790,
  }, 'node.host1'));
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ['spec.asNumber', 'spec.nodeMeshMaxRestartTime', 'spec.nodeToNodeMeshEnabled', 'spec.serviceClusterIPs']);
  assert.match(r.issues[0]!.message, /only be set on the "default" BGPConfiguration, not on "node.host1"/);
});

test('the name is `default` or `node.<nodename>`', () => {
  assert.deepEqual(paths(doc({}, 'global')), ['metadata.name']);
  assert.deepEqual(paths(doc({}, 'node.')), ['metadata.name']);
});

test('every mistake of a BGPConfiguration is reported with its path', () => {
  assert.deepEqual(paths(doc({
    logSeverityScreen: 'Verbose',
    asNumber: '65536.1.1',
    listenPort: 0,
    bindMode: 'Any',
    serviceClusterIPs: [{ cidr: '10.96.0.1/12' }],
    serviceLoadBalancerIPs: [{ ip: '10.0.0.1' }],
    ignoredInterfaces: ['*', 'docker0'],
    nodeMeshMaxRestartTime: '2 minutes',
    programClusterRoutes: 'Always',
    meshEnabled: true,
  })), [
    'spec.asNumber', 'spec.bindMode', 'spec.ignoredInterfaces[0]', 'spec.listenPort', 'spec.logSeverityScreen',
    'spec.meshEnabled', 'spec.nodeMeshMaxRestartTime', 'spec.programClusterRoutes', 'spec.serviceClusterIPs[0].cidr',
    'spec.serviceLoadBalancerIPs[0].cidr', 'spec.serviceLoadBalancerIPs[0].ip',
  ]);
});

test('communities: valid values, used by a prefix advertisement, referred to by name or value', () => {
  assert.deepEqual(paths(doc({
    communities: [{ name: 'a', value: '65536:1' }, { name: 'b', value: '1:2:3:4' }],
    prefixAdvertisements: [{ cidr: '10.0.0.0/24', communities: ['a', 'c', '1:4294967296:1'] }],
  })), ['spec.communities[0].value', 'spec.communities[1].value', 'spec.prefixAdvertisements[0].communities[1]', 'spec.prefixAdvertisements[0].communities[2]']);
  assert.deepEqual(paths(doc({ communities: [{ name: 'a', value: '65001:100' }] })), ['spec.communities']);
  assert.equal(communityProblem('4294967295:0:1'), null);
  assert.equal(communityProblem('65535:65535'), null);
});

test('mesh settings cannot be set with the mesh off', () => {
  assert.deepEqual(paths(doc({
    nodeToNodeMeshEnabled: false, nodeMeshMaxRestartTime: '60s',
    nodeMeshPassword: { secretKeyRef: { name: 'bgp-secrets', key: 'mesh' } },
  })), ['spec.nodeMeshMaxRestartTime', 'spec.nodeMeshPassword']);
});

test('calicoctl names find BGPConfiguration', () => {
  for (const n of ['bgpconfiguration', 'bgpconfigurations', 'bgpconfig', 'bgpconfigs']) assert.equal(kindByName(n)?.kind, 'BGPConfiguration', n);
});
