import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCIDR } from '../lib/ip.js';
import { affinityKey, blockKey, newBlock } from '../ipam/block/index.js';
import { kindByKind, resourceKey, validateDocument } from '../model/index.js';
import { ClusterState, computeDesired, type KeyUpdate } from '../calc/index.js';
import { DataplaneDriver } from './driver.js';
import { FakeNetlink } from './fake-netlink.js';
import { FakeSysctl } from './fake-sysctl.js';
import { FakeNft } from './nft/fake-nft.js';

function res(kind: string, name: string, spec: Record<string, unknown>, namespace?: string): KeyUpdate {
  const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return { key: resourceKey(kindByKind(kind)!, name, namespace), value: v.resource };
}
const block = (cidr: string, node: string): KeyUpdate[] => {
  const c = parseCIDR(cidr)!;
  return [{ key: blockKey(c), value: newBlock(c, `host:${node}`) }, { key: affinityKey(node, c), value: { state: 'confirmed', deleted: false } }];
};

function world() {
  const netlink = new FakeNetlink();
  netlink.addLink({ name: 'eth0', mtu: 1500, addresses: ['10.0.0.1/24'] });
  netlink.addVethPair('cali0000000000a', 'tt-peer');
  const sysctl = new FakeSysctl({ interfaces: () => netlink.linkNames() });
  const nft = new FakeNft();
  const mtus: number[] = [];
  const driver = new DataplaneDriver({ netlink, sysctl, nft, writeMtu: async (m) => { mtus.push(m); } });
  const state = new ClusterState();
  state.apply([
    res('IPPool', 'p', { cidr: '10.65.0.0/16', vxlanMode: 'Always', natOutgoing: true }),
    res('Node', 'n1', { bgp: { ipv4Address: '10.0.0.1/24' }, ipv4VXLANTunnelAddr: '10.65.0.0' }),
    res('Node', 'n2', { bgp: { ipv4Address: '10.0.0.2/24' }, ipv4VXLANTunnelAddr: '10.65.1.0' }),
    ...block('10.65.0.0/26', 'n1'), ...block('10.65.1.0/26', 'n2'),
    res('WorkloadEndpoint', 'n1-k8s-a-eth0', { node: 'n1', orchestrator: 'k8s', pod: 'a', endpoint: 'eth0', interfaceName: 'cali0000000000a', ipNetworks: ['10.65.0.1/32'] }, 'default'),
  ]);
  const ctx = { nodeName: 'n1', uplink: 'eth0', hostMtu: 1500, ipipSupported: false, programNoEncapRoutes: true };
  return { netlink, sysctl, nft, mtus, driver, desired: () => computeDesired(state, ctx) };
}

test('one apply programs policy, NAT, sysctls, the VXLAN device and its peer, and the routes; the next changes nothing', async () => {
  const w = world();
  const first = await w.driver.apply(w.desired());
  assert.deepEqual(first.changes.map((c) => c.split(':')[0]), ['policy', 'nat', 'sysctls', 'vxlan', 'routes', 'mtu']);
  assert.deepEqual(w.netlink.allRoutes().filter((r) => r.protocol === 80).map((r) => `${r.dst} ${r.type} ${r.dev ?? ''}`).sort(), [
    '10.65.0.0/26 blackhole ', '10.65.0.1/32 unicast cali0000000000a', '10.65.1.0/26 unicast vxlan.tortie',
  ]);
  assert.equal(await w.sysctl.read('net/ipv4/conf/cali0000000000a/proxy_arp'), '1');
  assert.equal(await w.sysctl.read('net/ipv4/ip_forward'), '1');
  assert.deepEqual(w.mtus, [1450]);
  assert.match(w.nft.applied.join('\n'), /table inet tortie/);
  assert.match(w.nft.applied.join('\n'), /table ip tortie-nat/);
  assert.deepEqual((await w.driver.apply(w.desired())).changes, [], 'nothing to do the second time');
});

test('after a resync, a route deleted by hand comes back and the nft tables are rewritten', async () => {
  const w = world();
  await w.driver.apply(w.desired());
  w.netlink.removeRouteByHand('10.65.1.0/26');
  assert.deepEqual((await w.driver.apply(w.desired())).changes, [], 'without a resync the drift is not seen');
  await w.driver.resync();
  const repair = await w.driver.apply(w.desired());
  assert.ok(repair.changes.includes('routes: +1 -0'), repair.changes.join('; '));
  assert.ok(repair.changes.some((c) => c.startsWith('policy: full')));
  assert.ok(w.netlink.allRoutes().some((r) => r.dst === '10.65.1.0/26' && r.protocol === 80));
});
