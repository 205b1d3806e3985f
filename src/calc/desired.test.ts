// Calculation tests in Felix's style: a datastore state in, the expected dataplane out — and the
// same result whatever order the updates arrive in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCIDR } from '../lib/ip.js';
import { affinityKey, allocate, blockKey, newBlock, type AllocationBlock } from '../ipam/block/index.js';
import { kindByKind, resourceKey, validateDocument, workloadEndpointName } from '../model/index.js';
import { ClusterState, type KeyUpdate } from './cluster-state.js';
import { computeDesired, derivedVxlanMac, type CalcContext } from './desired.js';

function res(kind: string, name: string, spec: Record<string, unknown>, extra: { namespace?: string; labels?: Record<string, string> } = {}): KeyUpdate {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...extra }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return { key: resourceKey(kindByKind(kind)!, name, v.resource.metadata.namespace), value: v.resource };
}

function node(name: string, cidr: string, vxlan?: string): KeyUpdate {
  return res('Node', name, { bgp: { ipv4Address: cidr }, ...(vxlan ? { ipv4VXLANTunnelAddr: vxlan } : {}) });
}

function block(cidr: string, owner: string | null, holders: string[] = []): KeyUpdate[] {
  const c = parseCIDR(cidr)!;
  let b: AllocationBlock = newBlock(c, owner ? `host:${owner}` : null);
  for (const h of holders) b = allocate(b, { count: 1, handle: `h-${h}`, secondary: { node: h } }).block;
  const out: KeyUpdate[] = [{ key: blockKey(c), value: b }];
  if (owner) out.push({ key: affinityKey(owner, c), value: { state: 'confirmed', deleted: false } });
  return out;
}

function wep(nodeName: string, pod: string, ip: string, iface: string): KeyUpdate {
  const name = workloadEndpointName({ node: nodeName, orchestrator: 'k8s', pod, endpoint: 'eth0' });
  return res('WorkloadEndpoint', name, {
    node: nodeName, orchestrator: 'k8s', pod, endpoint: 'eth0', interfaceName: iface, ipNetworks: [`${ip}/32`], profiles: ['kns.default'],
  }, { namespace: 'default' });
}

const CTX: CalcContext = { nodeName: 'n1', uplink: 'eth0', hostMtu: 1500, ipipSupported: false, programNoEncapRoutes: true };

function desired(updates: KeyUpdate[], ctx: CalcContext = CTX) {
  const s = new ClusterState();
  s.apply(updates);
  return computeDesired(s, ctx);
}

test('VXLAN: local pod /32, our block blackholed, the other node\'s block through its VTEP', () => {
  const d = desired([
    res('IPPool', 'p', { cidr: '10.65.0.0/16', vxlanMode: 'Always', natOutgoing: true }),
    node('n1', '10.0.0.1/24', '10.65.0.0'), node('n2', '10.0.0.2/24', '10.65.1.0'),
    ...block('10.65.0.0/26', 'n1', ['n1']), ...block('10.65.1.0/26', 'n2', ['n2']),
    wep('n1', 'a', '10.65.0.1', 'cali1234567890a'),
  ]);
  assert.deepEqual(d.routes, [
    { dst: '10.65.0.0/26', type: 'blackhole' },
    { dst: '10.65.0.1/32', type: 'unicast', dev: 'cali1234567890a', scope: 'link' },
    { dst: '10.65.1.0/26', type: 'unicast', via: '10.65.1.0', dev: 'vxlan.tortie', onlink: true },
  ]);
  assert.deepEqual(d.vxlan.device, { name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.1', parent: 'eth0', mtu: 1450, mac: derivedVxlanMac('n1'), address: '10.65.0.0/32' });
  assert.deepEqual(d.vxlan.neighbours, [{ dev: 'vxlan.tortie', ip: '10.65.1.0', mac: derivedVxlanMac('n2') }]);
  assert.deepEqual(d.vxlan.fdb, [{ dev: 'vxlan.tortie', mac: derivedVxlanMac('n2'), dst: '10.0.0.2' }]);
  assert.deepEqual(d.workloadInterfaces, ['cali1234567890a']);
  assert.deepEqual(d.nat, { masquerade: ['10.65.0.0/16'], pools: ['10.65.0.0/16'] });
  assert.equal(d.podMtu, 1450);
  assert.match(derivedVxlanMac('n1'), /^66(:[0-9a-f]{2}){5}$/);
  assert.deepEqual(d.problems, []);
});

test('CrossSubnet: direct to a node in our subnet, VXLAN to one outside it (decided by the stored mask)', () => {
  const d = desired([
    res('IPPool', 'p', { cidr: '10.65.0.0/16', vxlanMode: 'CrossSubnet' }),
    node('n1', '10.0.0.1/24', '10.65.0.0'), node('n2', '10.0.0.2/24', '10.65.1.0'), node('n3', '10.0.1.3/24', '10.65.2.0'),
    ...block('10.65.1.0/26', 'n2'), ...block('10.65.2.0/26', 'n3'),
  ]);
  assert.deepEqual(d.routes, [
    { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'eth0', onlink: true },
    { dst: '10.65.2.0/26', type: 'unicast', via: '10.65.2.0', dev: 'vxlan.tortie', onlink: true },
  ]);
  // A node address recorded as /32 makes every peer look cross-subnet (calico.md §6).
  const slash32 = desired([
    res('IPPool', 'p', { cidr: '10.65.0.0/16', vxlanMode: 'CrossSubnet' }),
    node('n1', '10.0.0.1/32', '10.65.0.0'), node('n2', '10.0.0.2/24', '10.65.1.0'), ...block('10.65.1.0/26', 'n2'),
  ]);
  assert.equal(slash32.routes[0]!.dev, 'vxlan.tortie');
});

test('IPIP: without the kernel module the routes wait and the node says why; with it, tunl0 onlink', () => {
  const state = [
    res('IPPool', 'p', { cidr: '10.65.0.0/16', ipipMode: 'Always' }),
    node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'), ...block('10.65.1.0/26', 'n2'),
  ];
  const without = desired(state);
  assert.deepEqual(without.routes, []);
  assert.deepEqual(without.problems, ['IPIP unavailable: kernel lacks ipip (routes of IPIP pools to other nodes are not programmed)']);
  const withIpip = desired(state, { ...CTX, ipipSupported: true });
  assert.deepEqual(withIpip.routes, [{ dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'tunl0', onlink: true }]);
  assert.equal(withIpip.podMtu, 1480);
});

test('no encapsulation: via the node\'s address on the uplink, only when asked to program those routes', () => {
  const state = [res('IPPool', 'p', { cidr: '10.65.0.0/16' }), node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'), ...block('10.65.1.0/26', 'n2')];
  assert.deepEqual(desired(state).routes, [{ dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.2', dev: 'eth0' }]);
  assert.deepEqual(desired(state, { ...CTX, programNoEncapRoutes: false }).routes, []);
  // A node behind a router cannot be reached unencapsulated: no route, and the node says why.
  const far = desired([res('IPPool', 'p', { cidr: '10.65.0.0/16' }), node('n1', '10.0.0.1/24'), node('n9', '10.0.9.9/24'), ...block('10.65.9.0/26', 'n9')]);
  assert.deepEqual(far.routes, []);
  assert.match(far.problems.join(), /Node n9 \(10\.0\.9\.9\) is outside this node's subnet 10\.0\.0\.0\/24/);
  assert.equal(desired(state).podMtu, 1500);
});

test('borrowed addresses get /32 routes towards the node that holds them, over our own blackhole', () => {
  const d = desired([
    res('IPPool', 'p', { cidr: '10.65.0.0/16' }), node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'), node('n3', '10.0.0.3/24'),
    ...block('10.65.0.0/26', 'n1', ['n1', 'n3']), // n3 borrowed 10.65.0.1 from our block
    ...block('10.65.1.0/26', 'n2', ['n2', 'n1', 'n3']), // we borrowed 10.65.1.1, n3 borrowed 10.65.1.2
  ]);
  assert.deepEqual(d.routes.map((r) => `${r.dst} ${r.type} ${r.via ?? ''}`), [
    '10.65.0.0/26 blackhole ', '10.65.0.1/32 unicast 10.0.0.3', '10.65.1.0/26 unicast 10.0.0.2', '10.65.1.2/32 unicast 10.0.0.3',
  ]);
});

test('a block without a confirmed affinity, or with a pending one, gives no route', () => {
  const c = parseCIDR('10.65.1.0/26')!;
  const d = desired([
    res('IPPool', 'p', { cidr: '10.65.0.0/16' }), node('n1', '10.0.0.1/24'), node('n2', '10.0.0.2/24'),
    { key: blockKey(c), value: newBlock(c, 'host:n2') }, { key: affinityKey('n2', c), value: { state: 'pending', deleted: false } },
  ]);
  assert.deepEqual(d.routes, []);
});

test('property: the desired dataplane does not depend on the order of updates, spurious deletes or repeats', () => {
  const updates = [
    res('IPPool', 'p', { cidr: '10.65.0.0/16', vxlanMode: 'CrossSubnet', natOutgoing: true }),
    node('n1', '10.0.0.1/24', '10.65.0.0'), node('n2', '10.0.0.2/24', '10.65.1.0'), node('n3', '10.0.1.3/24', '10.65.2.0'),
    ...block('10.65.0.0/26', 'n1', ['n1', 'n2']), ...block('10.65.1.0/26', 'n2', ['n2']), ...block('10.65.2.0/26', 'n3'),
    wep('n1', 'a', '10.65.0.1', 'cali0000000000a'), wep('n2', 'b', '10.65.1.1', 'cali0000000000b'),
    res('GlobalNetworkPolicy', 'deny-b', { selector: "pod == 'b'", ingress: [{ action: 'Deny' }] }),
  ];
  const expected = desired(updates);
  fc.assert(fc.property(
    fc.shuffledSubarray(updates, { minLength: updates.length, maxLength: updates.length }),
    fc.array(fc.nat(updates.length - 1), { maxLength: 6 }),
    (order, repeats) => {
      const s = new ClusterState();
      // Deletes for keys not seen yet, and updates delivered twice, change nothing.
      s.apply(repeats.map((i) => ({ key: order[i]!.key, value: null })));
      s.apply(order);
      s.apply(repeats.map((i) => order[i]!));
      assert.deepEqual(computeDesired(s, CTX), expected);
    },
  ), { numRuns: 50 });
});

test('FelixConfiguration: the deny action comes from node.<name> over default, nftables field over iptables field, Drop otherwise', () => {
  const base = [
    res('IPPool', 'p', { cidr: '10.65.0.0/16' }), node('n1', '10.0.0.1/24'), ...block('10.65.0.0/26', 'n1', ['n1']),
    wep('n1', 'a', '10.65.0.1', 'cali1234567890a'),
    res('GlobalNetworkPolicy', 'deny-udp', { selector: 'all()', ingress: [{ action: 'Deny', protocol: 'UDP' }] }),
  ];
  const verdicts = (updates: KeyUpdate[]): string[] => [...new Set(desired([...base, ...updates]).policy.chains
    .flatMap((c) => c.rules.filter((r) => r.comment === 'rule 0: Deny').map((r) => r.verdict!.kind)))];
  assert.deepEqual(verdicts([]), ['drop']);
  assert.deepEqual(verdicts([res('FelixConfiguration', 'default', { nftablesFilterDenyAction: 'Reject' })]), ['reject']);
  assert.deepEqual(verdicts([res('FelixConfiguration', 'default', { iptablesFilterDenyAction: 'Reject' })]), ['reject']);
  assert.deepEqual(verdicts([
    res('FelixConfiguration', 'default', { nftablesFilterDenyAction: 'Reject' }),
    res('FelixConfiguration', 'node.n1', { nftablesFilterDenyAction: 'Drop' }),
  ]), ['drop']);
  assert.deepEqual(verdicts([
    res('FelixConfiguration', 'default', { nftablesFilterDenyAction: 'Drop' }),
    res('FelixConfiguration', 'node.n2', { nftablesFilterDenyAction: 'Reject' }),
  ]), ['drop'], 'another node\'s setting does not apply here');
});
