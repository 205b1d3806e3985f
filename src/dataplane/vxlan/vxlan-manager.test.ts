import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeNetlink } from '../fake-netlink.js';
import { RouteManager } from '../routes/route-manager.js';
import { applyKernelState } from '../apply-order.js';
import { isTortieError } from '../../lib/errors.js';
import { VxlanManager, type Vtep } from './vxlan-manager.js';

const DEV = { vni: 4096, port: 4789, local: '10.0.0.5', parent: 'eth0', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' };
const A: Vtep = { tunnelAddress: '10.65.1.0', mac: '66:aa:bb:cc:dd:0a', hostAddress: '10.0.0.6' };
const B: Vtep = { tunnelAddress: '10.65.2.0', mac: '66:aa:bb:cc:dd:0b', hostAddress: '192.168.9.7' };

function node(): FakeNetlink {
  const k = new FakeNetlink();
  k.addVethPair('eth0', 'tt-peer');
  k.addAddress('eth0', '10.0.0.5/24');
  return k;
}

/** A manager that has programmed DEV with these VTEPs on a fresh node. */
async function programmed(vteps: Vtep[]): Promise<{ k: FakeNetlink; m: VxlanManager }> {
  const k = node();
  const m = new VxlanManager(k);
  m.setDesiredDevice(DEV);
  m.setDesiredVteps(vteps);
  await m.apply();
  return { k, m };
}

const dev = async (k: FakeNetlink) => (await k.links()).find((l) => l.name === 'vxlan.tortie');

describe('VxlanManager', () => {
  it('creates the device, then the FDB and neighbour entries of each VTEP', async () => {
    const { k, m } = await programmed([A, B]);
    const d = await dev(k);
    assert.deepEqual(d?.vxlan, { vni: 4096, port: 4789, local: '10.0.0.5', parent: 'eth0' });
    assert.equal(d?.up, true);
    assert.deepEqual((await k.neighbours('vxlan.tortie')).map((n) => `${n.ip}>${n.mac}`).sort(), ['10.65.1.0>66:aa:bb:cc:dd:0a', '10.65.2.0>66:aa:bb:cc:dd:0b']);
    assert.deepEqual((await k.fdb('vxlan.tortie')).map((f) => `${f.mac}>${f.dst}`).sort(), ['66:aa:bb:cc:dd:0a>10.0.0.6', '66:aa:bb:cc:dd:0b>192.168.9.7']);
    const first = (p: RegExp): number => k.ops.findIndex((o) => p.test(o));
    assert.ok(first(/^link add/) < first(/^fdb replace/) && first(/^fdb replace/) < first(/^neigh replace/), k.ops.join('\n'));
    assert.ok(m.inSync);
  });

  it('a second apply writes nothing', async () => {
    const { k, m } = await programmed([A, B]);
    await m.resync();
    const n = k.ops.length;
    await m.apply();
    assert.equal(k.ops.length, n, k.ops.slice(n).join('\n'));
  });

  it('repairs drift: lost entries are re-added; a device taken down comes back with its entries', async () => {
    const { k, m } = await programmed([A, B]);
    k.removeFdbByHand('vxlan.tortie', A.mac);
    k.removeNeighbourByHand('vxlan.tortie', B.tunnelAddress);
    await m.resync();
    k.ops.length = 0;
    await m.apply();
    assert.deepEqual(k.ops, [`fdb replace ${A.mac} dev vxlan.tortie`, `neigh replace ${B.tunnelAddress} dev vxlan.tortie`]);
    k.setLinkUp('vxlan.tortie', false); // flushes the neighbours too
    await m.resync();
    await m.apply();
    assert.equal((await dev(k))?.up, true);
    assert.equal((await k.neighbours('vxlan.tortie')).length, 2);
  });

  it('changes MTU and MAC in place; a MAC change re-adds the neighbours the kernel flushed', async () => {
    const { k, m } = await programmed([A]);
    const index = (await dev(k))!.index;
    m.setDesiredDevice({ ...DEV, mtu: 1400, mac: '66:aa:bb:cc:dd:02' });
    await m.apply();
    assert.equal((await dev(k))!.index, index);
    assert.equal((await dev(k))!.mtu, 1400);
    assert.equal((await k.neighbours('vxlan.tortie')).length, 1);
  });

  it('re-creates the device when the VNI changes, and re-adds every entry', async () => {
    const { k, m } = await programmed([A, B]);
    m.setDesiredDevice({ ...DEV, vni: 4097 });
    await m.apply();
    assert.equal((await dev(k))?.vxlan?.vni, 4097);
    assert.equal((await k.neighbours('vxlan.tortie')).length, 2);
    assert.equal((await k.fdb('vxlan.tortie')).length, 2);
  });

  it('a removed VTEP goes neighbour first, then FDB', async () => {
    const { k, m } = await programmed([A, B]);
    k.ops.length = 0;
    m.setDesiredVteps([A]);
    await m.apply();
    assert.deepEqual(k.ops, [`neigh del ${B.tunnelAddress} dev vxlan.tortie`, `fdb del ${B.mac} dev vxlan.tortie`]);
  });

  it('deletes the device only when VXLAN is no longer wanted, after its entries', async () => {
    const { k, m } = await programmed([A]);
    m.setDesiredVteps([]);
    await m.apply();
    assert.ok(await dev(k), 'no VTEPs is not "no VXLAN"');
    m.setDesiredVteps([A]);
    await m.apply();
    k.ops.length = 0;
    m.setDesiredDevice(null);
    await m.apply();
    assert.deepEqual(k.ops, [`neigh del ${A.tunnelAddress} dev vxlan.tortie`, `fdb del ${A.mac} dev vxlan.tortie`, 'link del vxlan.tortie']);
    assert.equal(await dev(k), undefined);
    assert.ok(m.inSync);
  });

  it('does nothing before the desired state was set (a restart keeps the device)', async () => {
    const { k, m } = await programmed([A]);
    const n = k.ops.length;
    const fresh = new VxlanManager(k); // the agent restarted; the calculation graph is not in sync yet
    assert.deepEqual(await fresh.apply(), { device: 'none', upserted: 0, removed: 0 });
    assert.equal(k.ops.length, n);
    assert.ok(await dev(k));
  });

  it('order with routes: VTEP before the route over it, route removal before VTEP removal', async () => {
    const k = node();
    const vx = new VxlanManager(k);
    const routes = new RouteManager(k);
    vx.setDesiredDevice(DEV);
    vx.setDesiredVteps([A]);
    routes.setDesiredRoutes([{ dst: '10.65.1.0/26', type: 'unicast', via: A.tunnelAddress, dev: 'vxlan.tortie', onlink: true }]);
    await applyKernelState({ vxlan: vx, routes });
    const i = (p: string): number => k.ops.findIndex((o) => o.startsWith(p));
    assert.ok(i('neigh replace') < i('route replace'), k.ops.join('\n'));
    k.ops.length = 0;
    vx.setDesiredVteps([]);
    routes.setDesiredRoutes([]);
    await applyKernelState({ vxlan: vx, routes });
    assert.deepEqual(k.ops, ['route del 10.65.1.0/26', `neigh del ${A.tunnelAddress} dev vxlan.tortie`, `fdb del ${A.mac} dev vxlan.tortie`]);
  });

  it('re-creating the device (VNI change) brings its routes back in the same pass', async () => {
    const k = node();
    const vx = new VxlanManager(k);
    const routes = new RouteManager(k);
    vx.setDesiredDevice(DEV);
    vx.setDesiredVteps([A]);
    routes.setDesiredRoutes([{ dst: '10.65.1.0/26', type: 'unicast', via: A.tunnelAddress, dev: 'vxlan.tortie', onlink: true }]);
    await applyKernelState({ vxlan: vx, routes });
    vx.setDesiredDevice({ ...DEV, vni: 4097 });
    await applyKernelState({ vxlan: vx, routes });
    assert.deepEqual((await k.routes(80)).map((r) => r.dst), ['10.65.1.0/26']);
    assert.ok(vx.inSync && routes.inSync);
  });

  it('a missing parent fails the apply with the kernel\'s error, and the next apply retries', async () => {
    const k = new FakeNetlink();
    const m = new VxlanManager(k);
    m.setDesiredDevice(DEV);
    m.setDesiredVteps([A]);
    await assert.rejects(m.apply(), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_IPROUTE'));
    k.addVethPair('eth0', 'tt-peer');
    k.addAddress('eth0', '10.0.0.5/24');
    await m.apply();
    assert.equal((await k.fdb('vxlan.tortie')).length, 1);
  });

  it('takes the calculation\'s neighbour and FDB lists as they are', async () => {
    const k = node();
    const m = new VxlanManager(k);
    m.setDesiredDevice({ ...DEV, name: 'vxlan.tortie' });
    m.setDesiredEntries([{ dev: 'vxlan.tortie', ip: A.tunnelAddress, mac: A.mac }], [{ dev: 'vxlan.tortie', mac: A.mac, dst: A.hostAddress }]);
    await m.apply();
    assert.deepEqual(await k.fdb('vxlan.tortie'), [{ dev: 'vxlan.tortie', mac: A.mac, dst: A.hostAddress }]);
    assert.throws(() => m.setDesiredEntries([{ dev: 'vxlan.tortie', ip: B.tunnelAddress, mac: B.mac }], []), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
    assert.throws(() => m.setDesiredDevice({ ...DEV, name: 'vxlan.other' }), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
  });

  it('refuses two VTEPs with one MAC', () => {
    const m = new VxlanManager(node());
    assert.throws(() => m.setDesiredVteps([A, { ...B, mac: A.mac }]), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
  });
});
