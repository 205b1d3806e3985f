// confd's decisions as tests: a datastore state in, the peers and exports Calico's BIRD templates
// would render out (reference/calico.md §7) — independent of the order updates arrived in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCIDR } from '../lib/ip.js';
import { affinityKey, allocate, blockKey, newBlock, type AllocationBlock } from '../ipam/block/index.js';
import { kindByKind, resourceKey, validateDocument } from '../model/index.js';
import { bgpPlan, type BgpPeerPlan } from './bgp-config.js';
import { ClusterState, type KeyUpdate } from './cluster-state.js';

function res(kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): KeyUpdate {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...(labels ? { labels } : {}) }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return { key: resourceKey(kindByKind(kind)!, name), value: v.resource };
}
const node = (name: string, cidr: string, bgp: Record<string, unknown> = {}, labels?: Record<string, string>): KeyUpdate =>
  res('Node', name, { bgp: { ipv4Address: cidr, ...bgp } }, labels);

function block(cidr: string, owner: string | null, holders: Array<string | [string, string]> = []): KeyUpdate[] {
  const c = parseCIDR(cidr)!;
  let b: AllocationBlock = newBlock(c, owner ? `host:${owner}` : null);
  for (const h of holders) {
    const [n, type] = typeof h === 'string' ? [h, undefined] : h;
    b = allocate(b, { count: 1, handle: `h-${n}-${b.allocations.filter((x) => x !== null).length}`, secondary: { node: n, ...(type ? { type } : {}) } }).block;
  }
  const out: KeyUpdate[] = [{ key: blockKey(c), value: b }];
  if (owner) out.push({ key: affinityKey(owner, c), value: { state: 'confirmed', deleted: false } });
  return out;
}

function plan(updates: KeyUpdate[], me: string) {
  const s = new ClusterState();
  s.apply(updates);
  const p = bgpPlan(s, me);
  // Order independence: the same state applied in reverse gives the same plan.
  const r = new ClusterState();
  r.apply([...updates].reverse());
  assert.deepEqual(bgpPlan(r, me), p);
  return p;
}

const brief = (peers: readonly BgpPeerPlan[]) => peers.map((p) => [p.name, p.address, p.asNumber, p.passive === true, p.rrClient === true]);

test('mesh: one peer per other node, the lower address waits, AS 64512, router ID and source address = node IP', () => {
  const p = plan([node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'), node('n3', '10.0.0.3/24')], 'n2')!;
  assert.deepEqual(p.config, { routerId: '10.0.0.2', asNumber: 64512, listenPort: 179, restartTime: 120 });
  assert.deepEqual(brief(p.peers), [
    ['Mesh_10_0_0_1', '10.0.0.1', 64512, false, false],
    ['Mesh_10_0_0_3', '10.0.0.3', 64512, true, false],
  ]);
  assert.equal(p.peers[0]!.type, 'node-to-node mesh');
  assert.equal(p.peers[0]!.sourceAddress, '10.0.0.2');
  assert.deepEqual(p.programClusterRoutes, 'EnabledNoEncapOnly');
});

test('mesh: passive is decided by comparing address strings, as confd does (10.0.0.10 < 10.0.0.9)', () => {
  const s = [node('a', '10.0.0.9/24'), node('b', '10.0.0.10/24')];
  assert.equal(plan(s, 'a')!.peers[0]!.passive, false, '"10.0.0.10" sorts before "10.0.0.9": a connects');
  assert.equal(plan(s, 'b')!.peers[0]!.passive, true, 'b waits');
});

test('mesh: per-node AS and listen port (name gets _port_N), mesh password and restart time, bindMode NodeIP', () => {
  const p = plan([
    res('BGPConfiguration', 'default', { asNumber: 65000, nodeMeshPassword: { secretKeyRef: { name: 'bgp', key: 'mesh' } }, nodeMeshMaxRestartTime: '30s', bindMode: 'NodeIP' }),
    res('BGPConfiguration', 'node.n2', { listenPort: 1790 }),
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24', { asNumber: 65002 }),
  ], 'n1')!;
  assert.deepEqual(p.config, { routerId: '10.0.0.1', asNumber: 65000, listenPort: 179, listenAddress: '10.0.0.1', restartTime: 30 });
  assert.deepEqual(p.peers, [{
    name: 'Mesh_10_0_0_2_port_1790', type: 'node-to-node mesh', address: '10.0.0.2', port: 1790, asNumber: 65002, passive: true,
    sourceAddress: '10.0.0.1', passwordRef: { name: 'bgp', key: 'mesh' }, restartTime: 30,
  }]);
  const q = plan([res('BGPConfiguration', 'node.n2', { listenPort: 1790 }), node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24')], 'n2')!;
  assert.equal(q.config.listenPort, 1790);
});

test('mesh off: no peers; a node without an address has no plan', () => {
  const s = [res('BGPConfiguration', 'default', { nodeToNodeMeshEnabled: false }), node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24')];
  assert.deepEqual(plan(s, 'n1')!.peers, []);
  assert.equal(plan([res('Node', 'n9', {})], 'n9'), null);
});

test('route reflectors: left out of the mesh; an RR marks iBGP peers without its cluster ID as clients (reverse peering of peerSelector)', () => {
  const rr = { 'route-reflector': 'true' };
  const s = [
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'),
    node('rr1', '10.0.0.100/24', { routeReflectorClusterID: '224.0.0.1' }, rr), node('rr2', '10.0.0.101/24', { routeReflectorClusterID: '224.0.0.1' }, rr),
    res('BGPPeer', 'peer-with-rrs', { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" }),
  ];
  // A client: the mesh with the other client, plus both RRs (global peers).
  const n1 = plan(s, 'n1')!;
  assert.deepEqual(brief(n1.peers), [
    ['Global_10_0_0_100', '10.0.0.100', 64512, true, false],
    ['Global_10_0_0_101', '10.0.0.101', 64512, true, false],
    ['Mesh_10_0_0_2', '10.0.0.2', 64512, true, false],
  ]);
  // An RR: no mesh; both clients (reverse peering) as rr clients; the other RR (same cluster) not a client.
  const r1 = plan(s, 'rr1')!;
  assert.equal(r1.config.clusterId, '224.0.0.1');
  assert.deepEqual(brief(r1.peers), [
    ['Global_10_0_0_1', '10.0.0.1', 64512, false, true],
    ['Global_10_0_0_101', '10.0.0.101', 64512, true, false],
    ['Global_10_0_0_2', '10.0.0.2', 64512, true, true], // "10.0.0.2" > "10.0.0.100" as strings
  ]);
});

test('BGPPeer with peerIP: node-specific or global, port, AS, timers, password, TTL security, allowas-in, source address, next hop', () => {
  const s = [
    node('n1', '10.0.0.1/24', {}, { rack: 'a' }), node('n2', '10.0.0.2/24', {}, { rack: 'b' }),
    res('BGPPeer', 'tor-a', {
      nodeSelector: "rack == 'a'", peerIP: '10.0.0.254:1790', asNumber: 65001, keepaliveTime: '10s', maxRestartTime: '45s',
      password: { secretKeyRef: { name: 'bgp-secrets', key: 'tor' } }, ttlSecurity: 1, numAllowedLocalASNumbers: 2, keepOriginalNextHop: true,
    }),
    res('BGPPeer', 'n2-only', { node: 'n2', peerIP: '192.168.9.9', asNumber: 64512, sourceAddress: 'None', nextHopMode: 'Self', localASNumber: 64999 }),
  ];
  const n1 = plan(s, 'n1')!;
  assert.deepEqual(n1.peers.find((p) => p.type === 'global'), {
    name: 'Global_10_0_0_254_port_1790', type: 'global', address: '10.0.0.254', port: 1790, asNumber: 65001,
    keepaliveTime: 10, restartTime: 45, passwordRef: { name: 'bgp-secrets', key: 'tor' }, sourceAddress: '10.0.0.1',
    allowAsIn: 2, ttlSecurity: 1, nextHopMode: 'keep',
  });
  assert.equal(n1.peers.length, 2, 'mesh peer n2 + tor-a; not n2-only');
  const n2 = plan(s, 'n2')!;
  assert.deepEqual(n2.peers.find((p) => p.type === 'node specific'), {
    name: 'Node_192_168_9_9', type: 'node specific', address: '192.168.9.9', asNumber: 64512, localAsNumber: 64999, nextHopMode: 'self',
  });
  assert.ok(!n2.peers.some((p) => p.address === '10.0.0.254'), 'rack b does not peer with tor-a');
});

test('BGPPeer maxPrefixes (Tortie): the limit, its action and hold-down reach the peer plan (and so the speaker\'s PeerSpec)', () => {
  const s = [
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24', {}, { rr: 'yes' }),
    res('BGPPeer', 'tor', { peerIP: '10.0.0.254', asNumber: 65001, maxPrefixes: 100, maxPrefixesRestartTime: '2m' }),
    res('BGPPeer', 'strict', { peerIP: '10.0.0.253', asNumber: 65002, maxPrefixes: 5, maxPrefixesAction: 'Disable' }),
    res('BGPPeer', 'plain', { peerIP: '10.0.0.252', asNumber: 65003, maxPrefixes: 7 }),
    res('BGPPeer', 'to-rr', { peerSelector: "rr == 'yes'", maxPrefixes: 1000 }),
  ];
  const by = (name: string): BgpPeerPlan => plan(s, 'n1')!.peers.find((p) => p.name === name)!;
  assert.deepEqual([by('Global_10_0_0_254').maxPrefixes, by('Global_10_0_0_254').maxPrefixesAction, by('Global_10_0_0_254').maxPrefixesRestartTime], [100, undefined, 120]);
  assert.deepEqual([by('Global_10_0_0_253').maxPrefixes, by('Global_10_0_0_253').maxPrefixesAction, by('Global_10_0_0_253').maxPrefixesRestartTime], [5, 'disable', undefined]);
  assert.deepEqual([by('Global_10_0_0_252').maxPrefixes, by('Global_10_0_0_252').maxPrefixesRestartTime], [7, undefined], 'the speaker\'s default hold-down applies');
  assert.equal(by('Global_10_0_0_2').maxPrefixes, 1000, 'peerSelector peerings carry the limit too');
  assert.equal(plan([node('n1', '10.0.0.1/24'), res('BGPPeer', 'x', { peerIP: '10.0.0.9', asNumber: 65001 })], 'n1')!.peers[0]!.maxPrefixes, undefined);
});

test('an explicit BGPPeer to a node replaces the mesh session to it; our own address is never a peer', () => {
  const p = plan([
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'),
    res('BGPPeer', 'to-n2', { peerIP: '10.0.0.2', asNumber: 64512, keepaliveTime: '20s' }),
  ], 'n1')!;
  assert.deepEqual(brief(p.peers), [['Global_10_0_0_2', '10.0.0.2', 64512, true, false]]);
  assert.equal(p.peers[0]!.keepaliveTime, 20);
  assert.deepEqual(plan([node('n1', '10.0.0.1/24'), res('BGPPeer', 'self', { peerIP: '10.0.0.1', asNumber: 1 })], 'n1')!.peers, []);
});

test('exports: our affine blocks and borrowed /32s, not of disabled or disableBGPExport pools, not tunnel addresses', () => {
  const s = [
    res('IPPool', 'p', { cidr: '10.65.0.0/16' }),
    res('IPPool', 'quiet', { cidr: '10.66.0.0/16', disableBGPExport: true }),
    res('IPPool', 'off', { cidr: '10.67.0.0/16', disabled: true }),
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'),
    ...block('10.65.0.0/26', 'n1', ['n1']), ...block('10.65.1.0/26', 'n2', ['n2', 'n1', ['n1', 'vxlanTunnelAddress']]),
    ...block('10.66.0.0/26', 'n1'), ...block('10.67.0.0/26', 'n1'),
  ];
  const p = plan(s, 'n1')!;
  assert.deepEqual(p.exports, ['10.65.0.0/26', '10.65.1.1/32']);
  assert.deepEqual(p.exportPools, ['10.65.0.0/16']);
  // The block is released (block and affinity gone): withdrawn from the export list.
  const released = new ClusterState();
  const c = parseCIDR('10.65.0.0/26')!;
  released.apply([...s, { key: affinityKey('n1', c), value: null }, { key: blockKey(c), value: null }]);
  assert.deepEqual(bgpPlan(released, 'n1')!.exports, ['10.65.1.1/32']);
});

test('programClusterRoutes from BGPConfiguration (node override wins)', () => {
  const p = plan([
    res('BGPConfiguration', 'default', { programClusterRoutes: 'Enabled' }),
    res('BGPConfiguration', 'node.n1', { programClusterRoutes: 'Disabled' }),
    node('n1', '10.0.0.1/24'),
  ], 'n1')!;
  assert.equal(p.programClusterRoutes, 'Disabled');
});
