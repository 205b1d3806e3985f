// The managers on the real kernel through Iproute2Netlink, inside scratch network namespaces:
// the RouteManager repairs a route deleted by hand and leaves other protocols alone; the VXLAN
// manager builds the device, its VTEP entries and the routes over it, in order; ipip is reported
// exactly as the kernel answers `ip link add … type ipip`. The root namespace is never touched.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { RouteManager, VxlanManager, applyKernelState, type Route } from '../../src/dataplane/index.js';
import { Iproute2Netlink } from '../../src/dataplane/linux/index.js';
import { ScratchNetns, isRoot } from '../support/scratch-netns.js';

const rootState = (): string => execFileSync('ip', ['-j', 'route', 'show', 'table', 'main'], { encoding: 'utf8' }) +
  JSON.stringify((JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => !n.startsWith('tt-')));

describe('managers on the kernel (network namespaces)', { skip: isRoot ? false : 'needs root' }, () => {
  const a = new ScratchNetns(`tt-mga${process.pid % 100000}`);
  const b = new ScratchNetns(`tt-mgb${process.pid % 100000}`);
  let rootBefore = '';

  before(() => {
    rootBefore = rootState();
    a.create();
    b.create();
    // Two "nodes" on one underlay: a veth between the namespaces, 10.0.0.5 ↔ 10.0.0.6.
    a.ip('link', 'add', 'tt-eth0', 'type', 'veth', 'peer', 'name', 'tt-eth0', 'netns', b.name);
    a.ip('addr', 'add', '10.0.0.5/24', 'dev', 'tt-eth0');
    b.ip('addr', 'add', '10.0.0.6/24', 'dev', 'tt-eth0');
    a.ip('link', 'set', 'tt-eth0', 'up');
    b.ip('link', 'set', 'tt-eth0', 'up');
    for (let i = 0; i < 4; i++) a.veth(`tt-cali${i}`, `tt-pod${i}`);
  });
  after(() => {
    a.remove();
    b.remove();
    assert.equal(rootState(), rootBefore, 'the root namespace\'s routes and links are unchanged');
  });

  it('RouteManager: apply, a second apply writes nothing, a route deleted by hand comes back, other protocols untouched', async () => {
    const nl = new Iproute2Netlink({ netns: a.name });
    a.ip('route', 'add', '192.168.50.0/24', 'via', '10.0.0.1', 'proto', '12'); // someone else's (BIRD's number)
    a.ip('route', 'add', 'blackhole', '10.65.63.0/26', 'proto', '80');        // ours, left by an earlier run
    const desired: Route[] = [
      ...[0, 1, 2, 3].map((i): Route => ({ dst: `10.65.0.${i + 1}/32`, type: 'unicast', dev: `tt-cali${i}` })),
      { dst: '10.65.0.0/26', type: 'blackhole' },
      { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.6', dev: 'tt-eth0' },
      { dst: '10.65.2.0/26', type: 'unicast', via: '10.0.0.6' },
    ];
    const m = new RouteManager(nl);
    m.setDesiredRoutes(desired);
    assert.deepEqual(await m.apply(), { upserted: 7, removed: 1 });
    await m.resync();
    assert.deepEqual(m.pending(), { upserts: [], deletes: [] }, 'what the kernel reports equals what was asked');
    assert.deepEqual(await m.apply(), { upserted: 0, removed: 0 });

    a.ip('route', 'del', '10.65.0.2/32');
    a.ip('route', 'replace', '10.65.1.0/26', 'via', '10.0.0.7', 'dev', 'tt-eth0', 'proto', '80');
    await m.resync();
    assert.deepEqual(await m.apply(), { upserted: 2, removed: 0 });
    assert.match(a.ip('route', 'show', '10.65.0.2/32'), /dev tt-cali1 proto 80 scope link/);
    assert.match(a.ip('route', 'show', '10.65.1.0/26'), /via 10\.0\.0\.6 dev tt-eth0 proto 80/);
    assert.match(a.ip('route', 'show', 'proto', '12'), /192\.168\.50\.0\/24 via 10\.0\.0\.1/);
    assert.equal(a.ip('route', 'show', '10.65.63.0/26').trim(), '', 'the stale route of ours is gone');

    m.setDesiredRoutes([]);
    assert.deepEqual(await m.apply(), { upserted: 0, removed: 7 });
    assert.equal(a.ip('route', 'show', 'proto', '80').trim(), '');
    assert.match(a.ip('route', 'show', 'proto', '12'), /192\.168\.50\.0\/24/);
  });

  it('VXLAN: device, VTEP entries and the route over it, in order; packets reach the other node', async () => {
    const setup = async (ns: ScratchNetns, local: string, tunnel: string, mac: string, peer: { tunnel: string; mac: string; host: string; block: string }) => {
      const nl = new Iproute2Netlink({ netns: ns.name });
      const vx = new VxlanManager(nl);
      const routes = new RouteManager(nl);
      vx.setDesiredDevice({ vni: 4096, port: 4789, local, parent: 'tt-eth0', mtu: 1450, mac, address: `${tunnel}/32` });
      vx.setDesiredVteps([{ tunnelAddress: peer.tunnel, mac: peer.mac, hostAddress: peer.host }]);
      routes.setDesiredRoutes([{ dst: peer.block, type: 'unicast', via: peer.tunnel, dev: 'vxlan.tortie', onlink: true }]);
      await applyKernelState({ vxlan: vx, routes });
      return { vx, routes };
    };
    const na = await setup(a, '10.0.0.5', '10.65.0.0', '66:aa:00:00:00:05', { tunnel: '10.65.128.0', mac: '66:aa:00:00:00:06', host: '10.0.0.6', block: '10.65.128.0/26' });
    await setup(b, '10.0.0.6', '10.65.128.0', '66:aa:00:00:00:06', { tunnel: '10.65.0.0', mac: '66:aa:00:00:00:05', host: '10.0.0.5', block: '10.65.0.0/26' });
    assert.match(a.ip('-d', 'link', 'show', 'vxlan.tortie'), /vxlan id 4096 local 10\.0\.0\.5 dev tt-eth0 .*dstport 4789 nolearning/);
    assert.match(a.ip('neigh', 'show', 'dev', 'vxlan.tortie'), /10\.65\.128\.0 lladdr 66:aa:00:00:00:06 PERMANENT/);
    assert.match(execFileSync('bridge', ['-n', a.name, 'fdb', 'show', 'dev', 'vxlan.tortie'], { encoding: 'utf8' }), /66:aa:00:00:00:06 dst 10\.0\.0\.6 self permanent/);
    // The tunnel carries traffic: ping B's tunnel address from A's.
    a.exec('ping', '-c', '1', '-W', '2', '-I', '10.65.0.0', '10.65.128.0');

    // Re-create on a VNI change (both sides), entries and route come back.
    na.vx.setDesiredDevice({ vni: 4097, port: 4789, local: '10.0.0.5', parent: 'tt-eth0', mtu: 1450, mac: '66:aa:00:00:00:05', address: '10.65.0.0/32' });
    await applyKernelState({ vxlan: na.vx, routes: na.routes }); // re-reads the routes that went with the old device
    assert.match(a.ip('-d', 'link', 'show', 'vxlan.tortie'), /vxlan id 4097/);
    assert.match(a.ip('neigh', 'show', 'dev', 'vxlan.tortie'), /10\.65\.128\.0 lladdr 66:aa:00:00:00:06 PERMANENT/);
    assert.match(a.ip('route', 'show', 'proto', '80'), /10\.65\.128\.0\/26 via 10\.65\.128\.0 dev vxlan\.tortie onlink/);

    // VXLAN no longer wanted: route first, then entries, then the device.
    na.vx.setDesiredDevice(null);
    na.routes.setDesiredRoutes([]);
    await applyKernelState({ vxlan: na.vx, routes: na.routes });
    assert.equal(a.tryIp('link', 'show', 'vxlan.tortie').code, 1);
    assert.equal(a.ip('route', 'show', 'proto', '80').trim(), '');
  });

  it('supportsLinkKind answers what `ip link add … type KIND` answers, and leaves nothing behind', async () => {
    const nl = new Iproute2Netlink({ netns: a.name });
    const probe = a.tryIp('link', 'add', 'tt-ipip0', 'type', 'ipip');
    if (probe.code === 0) a.ip('link', 'del', 'tt-ipip0');
    else assert.match(probe.stderr, /Unknown device type/);
    const before = a.ip('-o', 'link', 'show');
    assert.equal(await nl.supportsLinkKind('ipip'), probe.code === 0);
    assert.equal(await nl.supportsLinkKind('vxlan'), true);
    assert.equal(a.ip('-o', 'link', 'show'), before);
    // This machine's kernel has no ipip (node-libs.md §0): say so when that is what we run on.
    if (/Unknown device type/.test(probe.stderr)) assert.equal(await nl.supportsLinkKind('ipip'), false);
  });
});
