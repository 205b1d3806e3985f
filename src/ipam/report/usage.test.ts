import assert from 'node:assert/strict';
import { test } from 'node:test';
import { block, healthy, pod } from './_fixtures.js';
import { canonicalIP, nodeInfo, parseIpamRecords, workloadInfo } from './snapshot.js';
import { assignmentOf, borrowedIPs, utilization } from './usage.js';

test('utilization: blocks count what is off their free list; a pool sums its blocks; blocks outside pools stand apart', () => {
  const s = healthy();
  const u = utilization(s.pools, [...s.blocks, block('10.99.0.0/26', 'node2', [['h', 5]])]);
  assert.deepEqual(u.pools.map((p) => [p.cidr, p.capacity, p.inUse, p.free]), [['10.65.0.0/16', 65536, 4, 65532]]);
  assert.deepEqual(u.pools[0]!.blocks.map((b) => [b.cidr, b.capacity, b.inUse, b.free, b.affinity]),
    [['10.65.0.0/26', 64, 3, 61, 'host:node1'], ['10.65.0.64/26', 64, 1, 63, 'host:node2']]);
  assert.deepEqual(u.orphanBlocks.map((b) => [b.cidr, b.inUse]), [['10.99.0.0/26', 5]]);
  assert.deepEqual(utilization([], []), { pools: [], orphanBlocks: [] });
});

test('borrowed addresses: allocated to another node than the block owner; those without a node attribute are unclassified', () => {
  const b = block('10.65.0.0/26', 'node1', [
    ['mine', 1, pod('node1', 'default', 'a')],
    ['k8s-pod-network.b', 1, pod('node2', 'default', 'b')],
    ['vxlan-tunnel-addr-node3', 1, { node: 'node3', type: 'vxlanTunnelAddress' }],
    ['old', 2],
  ]);
  const r = borrowedIPs([b, block('10.65.0.64/26', null, [['x', 1, pod('node4', 'kube-system', 'dns')]])]);
  assert.deepEqual(r.borrowed, [
    { ip: '10.65.0.1', borrowingNode: 'node2', block: '10.65.0.0/26', blockOwner: 'node1', type: 'pod', allocatedTo: 'default/b' },
    { ip: '10.65.0.2', borrowingNode: 'node3', block: '10.65.0.0/26', blockOwner: 'node1', type: 'vxlanTunnelAddress', allocatedTo: '' },
    { ip: '10.65.0.64', borrowingNode: 'node4', block: '10.65.0.64/26', blockOwner: '', type: 'pod', allocatedTo: 'kube-system/dns' },
  ]);
  assert.equal(r.unclassified, 2);
});

test('assignmentOf: handle, attributes and sequence number of an allocated address; null for a free or unknown one', () => {
  const s = healthy();
  const a = assignmentOf(s.blocks, '10.65.0.2')!;
  assert.deepEqual(a, {
    ip: '10.65.0.2', block: '10.65.0.0/26', blockAffinity: 'host:node1', handle: 'k8s-pod-network.db1',
    attributes: { node: 'node1', namespace: 'prod', pod: 'db-1' }, sequenceNumber: 3,
  });
  assert.equal(assignmentOf(s.blocks, '10.65.0.3'), null);
  assert.equal(assignmentOf(s.blocks, '192.168.0.1'), null);
  assert.equal(assignmentOf(s.blocks, 'nonsense'), null);
});

test('records are read from the IPAM listing; deleted ones count as absent, undecodable ones are named', () => {
  const b = block('10.65.0.0/26', 'node1', [['h', 1]]);
  const r = parseIpamRecords([
    { key: '/calico/ipam/v2/assignment/ipv4/block/10.65.0.0-26', value: b, revision: 5 },
    { key: '/calico/ipam/v2/assignment/ipv4/block/10.65.0.64-26', value: { ...b, cidr: '10.65.0.64/26', deleted: true }, revision: 6 },
    { key: '/calico/ipam/v2/handle/h', value: { block: { '10.65.0.0/26': 1 }, deleted: false }, revision: 7 },
    { key: '/calico/ipam/v2/handle/soft-deleted', value: { block: {}, deleted: true }, revision: 8 },
    { key: '/calico/ipam/v2/host/node1/ipv4/block/10.65.0.0-26', value: { state: 'confirmed', deleted: false }, revision: 9 },
    { key: '/calico/ipam/v2/host/node2/ipv4/block/10.65.1.0-26', value: {}, revision: 10 },
    { key: '/calico/ipam/v2/handle/junk', value: 'not a handle', revision: 11 },
    { key: '/calico/ipam/v2/config', value: { strictAffinity: false }, revision: 12 },
  ]);
  assert.deepEqual(r.blocks.map((x) => x.cidr), ['10.65.0.0/26']);
  assert.deepEqual(r.handles, [{ id: 'h', block: { '10.65.0.0/26': 1 }, revision: 7 }]);
  assert.deepEqual(r.affinities, [{ node: 'node1', cidr: '10.65.0.0/26', state: 'confirmed' }, { node: 'node2', cidr: '10.65.1.0/26', state: 'confirmed' }]);
  assert.deepEqual(r.unreadable, ['/calico/ipam/v2/handle/junk']);
});

test('workload and node addresses are read in canonical single-address form', () => {
  assert.equal(canonicalIP('10.65.0.7/32'), '10.65.0.7');
  assert.equal(canonicalIP('fd00:0::7/128'), 'fd00::7');
  assert.equal(canonicalIP('10.65.0.0/26'), null);
  const w = workloadInfo({
    apiVersion: 'tortie.io/v1', kind: 'WorkloadEndpoint', metadata: { name: 'n1-k8s-p-eth0', namespace: 'ns' },
    spec: { node: 'n1', pod: 'p', ipNetworks: ['10.65.0.7/32', 'fd00::7/128'] },
  });
  assert.deepEqual(w, { namespace: 'ns', name: 'n1-k8s-p-eth0', node: 'n1', pod: 'p', ips: ['10.65.0.7', 'fd00::7'] });
  const n = nodeInfo({
    apiVersion: 'tortie.io/v1', kind: 'Node', metadata: { name: 'n1' },
    spec: { bgp: { ipv4Address: '10.0.0.1/24', ipv4IPIPTunnelAddr: '10.65.0.1' }, ipv4VXLANTunnelAddr: '10.65.0.2', wireguard: { interfaceIPv4Address: '10.65.0.3' } },
  });
  assert.deepEqual(n.tunnels, [
    { ip: '10.65.0.1', field: 'spec.bgp.ipv4IPIPTunnelAddr' }, { ip: '10.65.0.2', field: 'spec.ipv4VXLANTunnelAddr' },
    { ip: '10.65.0.3', field: 'spec.wireguard.interfaceIPv4Address' },
  ]);
});
