import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AllocationBlock } from '../block/index.js';
import { checkIpam, type Finding } from './check.js';
import { block, healthy, pod } from './_fixtures.js';
import type { IpamSnapshot } from './snapshot.js';

const kinds = (fs: readonly Finding[]): string[] => fs.map((f) => `${f.kind} ${f.ip ?? f.block ?? f.handle ?? ''}`.trim());

test('a healthy cluster has no findings; every allocation is in use by the owner it was made for', () => {
  const r = checkIpam(healthy());
  assert.deepEqual(r.findings, []);
  assert.equal(r.allocations.length, 4);
  assert.ok(r.allocations.every((a) => a.inUse));
  assert.deepEqual(r.allocations.find((a) => a.ip === '10.65.0.1')!.owners, ['Node(node1) spec.bgp.ipv4IPIPTunnelAddr']);
  assert.deepEqual(r.stats.allocationsByNode, [['node1', 3], ['node2', 1]]);
  assert.equal(r.stats.inUseIPs, 4);
  assert.deepEqual(r.emptyHandles, []);
});

test('a leak: a pod allocation whose WorkloadEndpoint is gone, and a tunnel address its node no longer records', () => {
  const s = healthy();
  const r = checkIpam({
    ...s,
    workloads: s.workloads.filter((w) => w.pod !== 'db-1'),
    nodes: [{ name: 'node1', tunnels: [] }, s.nodes[1]!],
  });
  assert.deepEqual(kinds(r.findings), ['leaked 10.65.0.1', 'leaked 10.65.0.2']);
  assert.match(r.findings[0]!.message, /IPIP tunnel address of node node1 .*does not use it/);
  assert.match(r.findings[1]!.message, /pod prod\/db-1 on node1 .*no WorkloadEndpoint has it/);
  assert.equal(r.findings[1]!.handle, 'k8s-pod-network.db1');
  assert.deepEqual(r.allocations.filter((a) => !a.inUse).map((a) => a.ip), ['10.65.0.1', '10.65.0.2']);
});

test('an address owned twice: allocated in two (overlapping) blocks, or used by two endpoints', () => {
  const s = healthy();
  const overlapping = block('10.65.0.0/25', 'node3', [['k8s-pod-network.x', 1, pod('node3', 'default', 'x')]]);
  const r = checkIpam({
    ...s,
    blocks: [...s.blocks, overlapping],
    affinities: [...s.affinities, { node: 'node3', cidr: '10.65.0.0/25', state: 'confirmed' }],
    handles: [...s.handles, { id: 'k8s-pod-network.x', block: { '10.65.0.0/25': 1 }, revision: 20 }],
    workloads: [...s.workloads, { namespace: 'default', name: 'node2-k8s-other-eth0', node: 'node2', pod: 'other', ips: ['10.65.0.64'] }],
    nodes: [...s.nodes, { name: 'node3', tunnels: [] }],
  });
  assert.deepEqual(kinds(r.findings), ['allocated-twice 10.65.0.0', 'multiple-owners 10.65.0.64', 'wrong-owner 10.65.0.0']);
  assert.match(r.findings.find((f) => f.kind === 'multiple-owners')!.message, /Workload\(default\/node2-k8s-api--1-eth0\), Workload\(default\/node2-k8s-other-eth0\)/);
});

test('a node\'s tunnel address used by a pod is reported (Calico issue 3589)', () => {
  const s = healthy();
  const r = checkIpam({
    ...s,
    workloads: [...s.workloads, { namespace: 'default', name: 'node1-k8s-thief-eth0', node: 'node1', pod: 'thief', ips: ['10.65.0.1'] }],
    nodes: [{ name: 'node1', tunnels: [] }, s.nodes[1]!],
  });
  assert.deepEqual(kinds(r.findings), ['wrong-owner 10.65.0.1']);
  assert.match(r.findings[0]!.message, /allocated as IPIP tunnel address of node node1 .*but is used by Workload\(default\/node1-k8s-thief-eth0\)/);
});

test('handles: an empty record, a record whose count disagrees with the block, and allocations with no record', () => {
  const s = healthy();
  const handles = s.handles.map((h) => (h.id === 'k8s-pod-network.web1' ? { ...h, block: { '10.65.0.0/26': 2 } } : h))
    .filter((h) => h.id !== 'k8s-pod-network.api1');
  const r = checkIpam({ ...s, handles: [...handles, { id: 'k8s-pod-network.gone', block: { '10.65.0.0/26': 1 }, revision: 30 }] });
  assert.deepEqual(kinds(r.findings), ['empty-handle k8s-pod-network.gone', 'missing-handle k8s-pod-network.api1', 'handle-mismatch k8s-pod-network.web1']);
  assert.match(r.findings[2]!.message, /counts 2 in 10\.65\.0\.0\/26 where the block holds 1/);
  assert.deepEqual(r.emptyHandles, [{ id: 'k8s-pod-network.gone', revision: 30 }]);
  assert.equal(r.stats.handlesWithAddresses, 3);
});

test('outside the pools: a block whose pool is gone, an in-use address outside every active pool, one in a pool but unallocated', () => {
  const s = healthy();
  const orphan = block('10.99.0.0/26', 'node2', [['k8s-pod-network.o', 1, pod('node2', 'default', 'o')]]);
  const r = checkIpam({
    ...s,
    blocks: [...s.blocks, orphan],
    affinities: [...s.affinities, { node: 'node2', cidr: '10.99.0.0/26', state: 'confirmed' }],
    handles: [...s.handles, { id: 'k8s-pod-network.o', block: { '10.99.0.0/26': 1 }, revision: 40 }],
    workloads: [
      ...s.workloads,
      { namespace: 'default', name: 'node2-k8s-o-eth0', node: 'node2', pod: 'o', ips: ['10.99.0.0'] },
      { namespace: 'default', name: 'node2-k8s-static-eth0', node: 'node2', pod: 'static', ips: ['172.16.0.9'] },
      { namespace: 'default', name: 'node2-k8s-manual-eth0', node: 'node2', pod: 'manual', ips: ['10.65.3.3'] },
    ],
  });
  assert.deepEqual(kinds(r.findings), ['outside-pool 172.16.0.9', 'not-allocated 10.65.3.3', 'block-outside-pool 10.99.0.0/26']);
});

test('a disabled pool is not active: its in-use unallocated addresses are outside every active pool', () => {
  const s = healthy();
  const r = checkIpam({
    ...s,
    pools: [...s.pools, { name: 'old', cidr: '10.70.0.0/16', blockSize: 26, disabled: true }],
    workloads: [...s.workloads, { namespace: 'default', name: 'node2-k8s-p-eth0', node: 'node2', pod: 'p', ips: ['10.70.0.5'] }],
  });
  assert.deepEqual(kinds(r.findings), ['outside-pool 10.70.0.5']);
  assert.deepEqual(r.stats.activePools, ['10.65.0.0/16']);
});

test('an invalid block is reported with blockProblems\' words, and an undecodable record too', () => {
  const s = healthy();
  const broken: AllocationBlock = { ...s.blocks[1]!, unallocated: s.blocks[1]!.unallocated.slice(1) };
  const r = checkIpam({ ...s, blocks: [s.blocks[0]!, broken], unreadable: ['/calico/ipam/v2/handle/junk'] });
  assert.deepEqual(kinds(r.findings), ['unreadable-record', 'invalid-block 10.65.0.64/26']);
  assert.match(r.findings[1]!.message, /10\.65\.0\.65 is neither allocated nor free/);
});

test('affinities: a block without its owner\'s confirmed affinity, an affinity without its block, one for another node\'s block, a pending one', () => {
  const s = healthy();
  const r = checkIpam({
    ...s,
    affinities: [
      { node: 'node1', cidr: '10.65.0.0/26', state: 'pending' }, // claim stopped before confirming
      { node: 'node1', cidr: '10.65.0.64/26', state: 'confirmed' }, // node2's block
      { node: 'node2', cidr: '10.65.1.0/26', state: 'confirmed' }, // no such block
    ],
  });
  assert.deepEqual(kinds(r.findings), [
    'block-without-affinity 10.65.0.64/26',
    'affinity-without-block 10.65.0.64/26', 'affinity-without-block 10.65.1.0/26',
    'pending-affinity 10.65.0.0/26',
  ]);
  assert.match(r.findings[3]!.message, /node1's affinity for 10\.65\.0\.0\/26 is pending: .*the block exists and is affine to node1/);
});

test('a block affine to a node that no longer exists', () => {
  const s = healthy();
  const r = checkIpam({ ...s, nodes: [s.nodes[0]!], workloads: s.workloads });
  assert.deepEqual(kinds(r.findings), ['block-of-missing-node 10.65.0.64/26']);
});

test('property: the findings do not depend on the order the records were listed in', () => {
  const s = healthy();
  const messy: IpamSnapshot = {
    ...s,
    blocks: [...s.blocks, block('10.99.0.0/26', 'node3', [['h', 2]])],
    affinities: [...s.affinities, { node: 'node3', cidr: '10.65.9.0/26', state: 'pending' }],
    handles: [...s.handles, { id: 'empty', block: {}, revision: 1 }],
    workloads: [...s.workloads, { namespace: 'x', name: 'n-k8s-a-eth0', node: 'n', pod: 'a', ips: ['10.65.0.64', '10.1.1.1'] }],
  };
  const expected = checkIpam(messy);
  assert.ok(expected.findings.length >= 6);
  fc.assert(fc.property(fc.integer(), (seed) => {
    let x = seed;
    const shuffle = <T>(a: readonly T[]): T[] => {
      const out = [...a];
      for (let i = out.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) | 0; const j = Math.abs(x) % (i + 1); [out[i], out[j]] = [out[j]!, out[i]!]; }
      return out;
    };
    const r = checkIpam({
      ...messy, blocks: shuffle(messy.blocks), affinities: shuffle(messy.affinities), handles: shuffle(messy.handles),
      workloads: shuffle(messy.workloads), nodes: shuffle(messy.nodes),
    });
    assert.deepEqual(r.findings, expected.findings);
  }), { numRuns: 100 });
});
