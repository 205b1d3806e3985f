import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeNetlink } from '../fake-netlink.js';
import type { Route } from '../ports.js';
import { isTortieError } from '../../lib/errors.js';
import { RouteManager } from './route-manager.js';
import { canonicalRoute } from './route-canonical.js';

function node(): FakeNetlink {
  const k = new FakeNetlink();
  k.addVethPair('eth0', 'tt-peer');
  k.addAddress('eth0', '10.0.0.5/24');
  k.addVethPair('cali1', 'tt-pod1');
  k.addVethPair('cali2', 'tt-pod2');
  return k;
}

const pod1: Route = { dst: '10.65.0.1/32', type: 'unicast', dev: 'cali1' };
const pod2: Route = { dst: '10.65.0.2/32', type: 'unicast', dev: 'cali2' };
const block: Route = { dst: '10.65.0.0/26', type: 'blackhole' };
const remote: Route = { dst: '10.65.1.0/26', type: 'unicast', via: '10.0.0.6', dev: 'eth0' };

const ours = async (k: FakeNetlink): Promise<Route[]> => k.routes(80);
const sorted = (rs: readonly Route[]): Route[] => rs.map(canonicalRoute).sort((a, b) => (a.dst < b.dst ? -1 : 1));

describe('RouteManager', () => {
  it('desired → apply → the kernel holds exactly the desired routes, with our protocol', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, pod2, block, remote]);
    assert.deepEqual(await m.apply(), { upserted: 4, removed: 0 });
    assert.deepEqual(await ours(k), sorted([pod1, pod2, block, remote]));
    assert.ok(m.inSync);
  });

  it('a second apply writes nothing: what the kernel reports equals what was asked (round trip)', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, { ...pod2, dst: '10.65.0.2' }, block, { ...remote, onlink: false }, { dst: '10.65.2.0/26', type: 'unicast', via: '10.0.0.7' }]);
    await m.apply();
    await m.resync();
    const before = k.ops.length;
    assert.deepEqual(await m.apply(), { upserted: 0, removed: 0 });
    assert.equal(k.ops.length, before);
  });

  it('repairs drift: a route deleted by hand comes back, a changed one is replaced', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, block, remote]);
    await m.apply();
    k.removeRouteByHand(pod1.dst);
    k.addForeignRoute({ dst: remote.dst, type: 'unicast', via: '10.0.0.99', dev: 'eth0' }, 80);
    await m.resync();
    k.ops.length = 0;
    assert.deepEqual(await m.apply(), { upserted: 2, removed: 0 });
    assert.deepEqual(k.ops, ['route replace 10.65.0.1/32', 'route replace 10.65.1.0/26']);
    assert.deepEqual(await ours(k), sorted([pod1, block, remote]));
  });

  it('removes a stale route that carries our protocol', async () => {
    const k = node();
    k.addForeignRoute({ dst: '10.65.9.0/26', type: 'blackhole' }, 80); // left by an earlier run
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1]);
    assert.deepEqual(await m.apply(), { upserted: 1, removed: 1 });
    assert.deepEqual(await ours(k), sorted([pod1]));
  });

  it('never touches a route with another protocol', async () => {
    const k = node();
    k.addForeignRoute({ dst: '192.168.50.0/24', type: 'unicast', via: '10.0.0.1', dev: 'eth0' }, 12); // BIRD, a human…
    k.addForeignRoute({ dst: '10.65.7.0/26', type: 'blackhole' }, 81);
    const m = new RouteManager(k);
    m.setDesiredRoutes([]);
    await m.apply();
    m.setDesiredRoutes([pod1]);
    await m.apply();
    m.setDesiredRoutes([]);
    await m.apply();
    const all = k.allRoutes().map((r) => `${r.dst}@${r.protocol}`);
    assert.ok(all.includes('192.168.50.0/24@12'));
    assert.ok(all.includes('10.65.7.0/26@81'));
    assert.deepEqual(await ours(k), []);
  });

  it('writes nothing before the calculation side has set the desired routes once', async () => {
    const k = node();
    k.addForeignRoute(block, 80);
    const m = new RouteManager(k);
    assert.deepEqual(await m.apply(), { upserted: 0, removed: 0 });
    assert.deepEqual(await ours(k), sorted([block]), 'an agent restart keeps the kernel as it was');
  });

  it('takes over a same-destination route of another protocol (the CNI plugin\'s /32)', async () => {
    const k = node();
    k.addForeignRoute(pod1, 3); // proto boot, as `ip route add` by the CNI plugin
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1]);
    await m.apply();
    assert.deepEqual(k.allRoutes().filter((r) => r.dst === pod1.dst).map((r) => r.protocol), [80]);
  });

  it('a refused route fails the apply, the rest is applied, and the next apply retries only it', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, { dst: '10.65.0.3/32', type: 'unicast', dev: 'cali3' }, block]);
    await assert.rejects(m.apply(), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_IPROUTE'));
    assert.deepEqual(await ours(k), sorted([pod1, block]));
    assert.deepEqual(m.pending().upserts.map(([d]) => d), ['10.65.0.3/32']);
    k.addVethPair('cali3', 'tt-pod3');
    k.ops.length = 0;
    assert.deepEqual(await m.apply(), { upserted: 1, removed: 0 });
    assert.deepEqual(k.ops, ['route replace 10.65.0.3/32']);
  });

  it('routes flushed with a link that went down come back on the next resync + apply', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, remote]);
    await m.apply();
    k.setLinkUp('cali1', false);
    k.setLinkUp('cali1', true);
    await m.resync();
    await m.apply();
    assert.deepEqual(await ours(k), sorted([pod1, remote]));
  });

  it('incremental changes write one route each', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, block]);
    await m.apply();
    k.ops.length = 0;
    m.setRoute(pod2);
    m.removeRoute('10.65.0.1/32');
    await m.apply();
    assert.deepEqual(k.ops, ['route del 10.65.0.1/32', 'route replace 10.65.0.2/32']);
  });

  it('refuses two desired routes for one destination', () => {
    const m = new RouteManager(node());
    assert.throws(() => m.setDesiredRoutes([pod1, { ...pod1, dev: 'cali2' }]), (e: unknown) => isTortieError(e, 'TORTIE_ERR_DATAPLANE_INVALID'));
  });

  it('concurrent applies are serialised and the second one has nothing left to do', async () => {
    const k = node();
    const m = new RouteManager(k);
    m.setDesiredRoutes([pod1, pod2]);
    const [a, b] = await Promise.all([m.apply(), m.apply()]);
    assert.deepEqual([a.upserted, b.upserted], [2, 0]);
  });

  it('a different protocol number is honoured end to end', async () => {
    const k = node();
    const m = new RouteManager(k, { protocol: 201 });
    m.setDesiredRoutes([block]);
    await m.apply();
    assert.deepEqual((await k.routes(201)).map((r) => r.dst), [block.dst]);
    assert.deepEqual(await ours(k), []);
  });

  it('before the desired state is complete, routes are added but none is deleted', async () => {
    const k = node();
    k.addForeignRoute({ dst: '10.65.9.0/26', type: 'blackhole' }, 80); // from before a restart
    const m = new RouteManager(k);
    m.setRoute(pod1);
    assert.deepEqual(await m.apply(), { upserted: 1, removed: 0 });
    assert.deepEqual(await ours(k), sorted([pod1, { dst: '10.65.9.0/26', type: 'blackhole' }]));
    m.markDesiredComplete();
    assert.deepEqual(await m.apply(), { upserted: 0, removed: 1 });
    assert.deepEqual(await ours(k), sorted([pod1]));
  });

  it('writes in chunks, several in flight, and takes routes set while it runs', async () => {
    const k = node();
    let inFlight = 0, most = 0, calls = 0;
    const late: Route = { dst: '10.65.3.0/26', type: 'unicast', via: '10.0.0.8', dev: 'eth0' };
    const write = k.applyRoutes.bind(k);
    k.applyRoutes = async (p, del, add) => {
      calls++;
      most = Math.max(most, ++inFlight);
      if (calls === 1) m.setRoute(late); // the calculation moves on while the kernel is written
      await new Promise((r) => setImmediate(r));
      try { await write(p, del, add); } finally { inFlight--; }
    };
    const m = new RouteManager(k, { chunk: 1, parallel: 2 });
    m.setDesiredRoutes([pod1, pod2, block, remote]);
    assert.deepEqual(await m.apply(), { upserted: 5, removed: 0 });
    assert.equal(calls, 5);
    assert.equal(most, 2);
    assert.deepEqual(await ours(k), sorted([pod1, pod2, block, remote, late]));
    assert.ok(m.inSync);
  });
});
