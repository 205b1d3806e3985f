// The Netlink port's contract, run against the fake (always) and against iproute2 in a scratch
// network namespace (as root): what the managers rely on must hold for both, so the fake stays a
// real fake. Topology for every case:
//   tt-u0 (10.0.0.5/24, up) ── veth ── tt-u1      the "uplink"
//   tt-w0 (no address, up)  ── veth ── tt-w1      a workload-like interface

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { canonicalRoute, isTortieErrorLike, type ContractEnv } from './contract-env.js';
import type { Route } from '../../src/dataplane/index.js';

export { type ContractEnv } from './contract-env.js';

const P = 80;

const failuresOf = (e: unknown): Array<{ command: string; error: string }> => (e as { details: { failures: Array<{ command: string; error: string }> } }).details.failures;

export function netlinkContract(label: string, make: () => Promise<ContractEnv>, opts: { skip?: string | false } = {}): void {
  describe(`Netlink contract: ${label}`, { skip: opts.skip ?? false }, () => {
    let env: ContractEnv;
    beforeEach(async () => { env = await make(); });
    afterEach(async () => { await env.dispose(); });

    it('routes round-trip: what routes() returns equals what was asked for, canonically', async () => {
      const asked: Route[] = [
        { dst: '10.65.0.3/32', type: 'unicast', dev: 'tt-w0', scope: 'link' },
        { dst: '10.65.0.4', type: 'unicast', dev: 'tt-w0' },                                    // no /32, scope omitted
        { dst: '10.65.1.0/26', type: 'blackhole' },
        { dst: '10.65.2.0/26', type: 'unicast', via: '10.0.0.7', dev: 'tt-u0' },                // scope global by default
        { dst: '10.65.3.0/26', type: 'unicast', via: '172.16.0.8', dev: 'tt-u0', onlink: true }, // off-subnet gateway
        { dst: '10.65.4.0/26', type: 'unicast', via: '10.0.0.9', dev: 'tt-u0', onlink: false, src: '10.0.0.5' },
        { dst: '10.65.5.0/26', type: 'unicast', dev: 'tt-u0', scope: 'global' },                // explicit non-default scope
        { dst: '10.65.6.0/26', type: 'unreachable' },
      ];
      await env.netlink.applyRoutes(P, [], asked);
      const got = new Map((await env.netlink.routes(P)).map((r) => [r.dst, r]));
      for (const a of asked) assert.deepEqual(got.get(canonicalRoute(a).dst), canonicalRoute(a), `round trip of ${JSON.stringify(a)}`);
      assert.equal(got.size, asked.length);
      assert.deepEqual(await env.netlink.routes(81), [], 'another protocol sees none of them');
      // Applying the same again changes nothing and does not fail.
      await env.netlink.applyRoutes(P, [], asked);
      assert.equal((await env.netlink.routes(P)).length, asked.length);
    });

    it('a gateway route without dev gets the kernel-chosen dev', async () => {
      await env.netlink.applyRoutes(P, [], [{ dst: '10.66.0.0/24', type: 'unicast', via: '10.0.0.1' }]);
      const [r] = await env.netlink.routes(P);
      assert.deepEqual(r, { dst: '10.66.0.0/24', type: 'unicast', dev: 'tt-u0', via: '10.0.0.1', scope: 'global' });
    });

    it('replace over a wrong route fixes it in place', async () => {
      await env.netlink.applyRoutes(P, [], [{ dst: '10.65.2.0/26', type: 'unicast', via: '10.0.0.7', dev: 'tt-u0' }]);
      await env.netlink.applyRoutes(P, [], [{ dst: '10.65.2.0/26', type: 'blackhole' }]);
      assert.deepEqual(await env.netlink.routes(P), [{ dst: '10.65.2.0/26', type: 'blackhole' }]);
    });

    it('deletes name our protocol: a missing route is fine, another protocol\'s route survives', async () => {
      await env.addForeignRoute('10.70.0.0/24', 'tt-u0', 81);
      await env.netlink.applyRoutes(P, [
        { dst: '10.99.0.0/24', type: 'blackhole' },                    // not there at all
        { dst: '10.70.0.0/24', type: 'unicast', dev: 'tt-u0' },        // there, but protocol 81
      ], []);
      assert.ok((await env.allRouteDsts()).includes('10.70.0.0/24'), 'the protocol-81 route is still there');
      assert.deepEqual((await env.netlink.routes(81)).map((r) => r.dst), ['10.70.0.0/24']);
    });

    it('a refused route fails alone: the rest of the batch is applied, the error lists it', async () => {
      const e = await env.netlink.applyRoutes(P, [], [
        { dst: '10.65.0.3/32', type: 'unicast', dev: 'tt-w0' },
        { dst: '10.65.0.9/32', type: 'unicast', dev: 'tt-nosuch' },
        { dst: '10.65.9.0/26', type: 'unicast', via: '192.168.77.1', dev: 'tt-u0' }, // unreachable gateway, no onlink
        { dst: '10.65.1.0/26', type: 'blackhole' },
      ]).then(() => null, (x: unknown) => x);
      assert.ok(isTortieErrorLike(e, 'TORTIE_ERR_DATAPLANE_IPROUTE'), String(e));
      assert.deepEqual(failuresOf(e).map((f) => f.command.split(' ')[2]).sort(), ['10.65.0.9/32', '10.65.9.0/26']);
      assert.deepEqual((await env.netlink.routes(P)).map((r) => r.dst).sort(), ['10.65.0.3/32', '10.65.1.0/26']);
    });

    it('a malformed value is refused before anything is written', async () => {
      const e = await env.netlink.applyRoutes(P, [], [
        { dst: '10.65.0.3/32', type: 'unicast', dev: 'tt-w0' },
        { dst: '10.65.0.1/26', type: 'blackhole' }, // host bits set
      ]).then(() => null, (x: unknown) => x);
      assert.ok(isTortieErrorLike(e, 'TORTIE_ERR_DATAPLANE_INVALID'), String(e));
      assert.deepEqual(await env.netlink.routes(P), []);
      await assert.rejects(env.netlink.applyRoutes(P, [], [{ dst: '10.65.0.3/32', type: 'unicast', dev: 'bad name' }]), (x: unknown) => isTortieErrorLike(x, 'TORTIE_ERR_DATAPLANE_INVALID'));
    });

    it('links() reports kind, MTU, MAC, state and addresses', async () => {
      const links = await env.netlink.links();
      const u0 = links.find((l) => l.name === 'tt-u0');
      assert.ok(u0);
      assert.equal(u0.kind, 'veth');
      assert.equal(u0.mtu, 1500);
      assert.equal(u0.up, true);
      assert.ok(u0.addresses.includes('10.0.0.5/24'));
      assert.match(u0.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.ok(links.some((l) => l.name === 'lo'));
    });

    it('VXLAN device: create, no-op, modify in place, recreate on VNI change, delete', async () => {
      const spec = { name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-u0', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' };
      await env.netlink.ensureVxlan(spec);
      const dev = async () => (await env.netlink.links()).find((l) => l.name === 'vxlan.tortie');
      const d1 = await dev();
      assert.ok(d1);
      assert.equal(d1.kind, 'vxlan');
      assert.deepEqual(d1.vxlan, { vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-u0' });
      assert.equal(d1.mtu, 1450);
      assert.equal(d1.mac, '66:aa:bb:cc:dd:01');
      assert.equal(d1.up, true);
      assert.deepEqual(d1.addresses.filter((a) => !a.startsWith('fe80')), ['10.65.0.0/32']);

      await env.netlink.ensureVxlan(spec);
      assert.equal((await dev())!.index, d1.index, 'an unchanged spec leaves the device alone');

      await env.netlink.applyNeighbours('vxlan.tortie', [], [{ dev: 'vxlan.tortie', ip: '10.65.9.0', mac: '66:AA:BB:CC:DD:02' }]);
      await env.netlink.applyFdb('vxlan.tortie', [], [{ dev: 'vxlan.tortie', mac: '66:aa:bb:cc:dd:02', dst: '10.0.0.9' }]);
      await env.netlink.ensureVxlan({ ...spec, mtu: 1400, address: '10.65.0.1/32' });
      const d2 = (await dev())!;
      assert.equal(d2.index, d1.index, 'MTU and address change in place');
      assert.equal(d2.mtu, 1400);
      assert.deepEqual(d2.addresses.filter((a) => !a.startsWith('fe80')), ['10.65.0.1/32'], 'the old address is removed');
      assert.equal((await env.netlink.neighbours('vxlan.tortie')).length, 1, 'an MTU or address change keeps the entries');
      await env.netlink.ensureVxlan({ ...spec, mtu: 1400, mac: '66:aa:bb:cc:dd:03', address: '10.65.0.1/32' });
      assert.equal((await dev())!.mac, '66:aa:bb:cc:dd:03');
      assert.equal((await dev())!.index, d1.index, 'a MAC change is in place too');
      assert.deepEqual(await env.netlink.neighbours('vxlan.tortie'), [], 'but the kernel flushes the neighbours (permanent too) on a MAC change');
      assert.equal((await env.netlink.fdb('vxlan.tortie')).length, 1, 'and keeps the FDB');

      await env.netlink.ensureVxlan({ ...spec, vni: 4097 });
      const d3 = (await dev())!;
      assert.notEqual(d3.index, d1.index, 'a VNI change re-creates the device');
      assert.equal(d3.vxlan?.vni, 4097);
      assert.deepEqual(await env.netlink.neighbours('vxlan.tortie'), [], 're-creating drops the entries');

      await env.netlink.deleteLink('vxlan.tortie');
      assert.equal(await dev(), undefined);
      await env.netlink.deleteLink('vxlan.tortie'); // already gone: fine
    });

    it('VXLAN device on a missing parent is refused', async () => {
      const e = await env.netlink.ensureVxlan({ name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-nosuch', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' })
        .then(() => null, (x: unknown) => x);
      assert.ok(isTortieErrorLike(e, 'TORTIE_ERR_DATAPLANE_IPROUTE'), String(e));
    });

    it('neighbour and FDB entries: add, replace, read back, delete (missing deletes are fine)', async () => {
      await env.netlink.ensureVxlan({ name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-u0', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' });
      const dev = 'vxlan.tortie';
      const n1 = { dev, ip: '10.65.9.0', mac: '66:aa:bb:cc:dd:02' };
      const n2 = { dev, ip: '10.65.10.0', mac: '66:aa:bb:cc:dd:04' };
      const f1 = { dev, mac: '66:aa:bb:cc:dd:02', dst: '10.0.0.9' };
      const f2 = { dev, mac: '66:aa:bb:cc:dd:04', dst: '10.0.0.10' };
      await env.netlink.applyFdb(dev, [], [f1, f2]);
      await env.netlink.applyNeighbours(dev, [], [n1, n2]);
      const byKey = <T>(xs: T[], k: (x: T) => string): T[] => [...xs].sort((a, b) => (k(a) < k(b) ? -1 : 1));
      assert.deepEqual(byKey(await env.netlink.neighbours(dev), (n) => n.ip), byKey([n1, n2], (n) => n.ip));
      assert.deepEqual(byKey(await env.netlink.fdb(dev), (f) => f.mac), byKey([f1, f2], (f) => f.mac));
      // Replace moves a MAC to another host and a tunnel IP to another MAC.
      await env.netlink.applyFdb(dev, [], [{ ...f1, dst: '10.0.0.19' }]);
      await env.netlink.applyNeighbours(dev, [], [{ ...n1, mac: '66:aa:bb:cc:dd:09' }]);
      assert.equal((await env.netlink.fdb(dev)).find((f) => f.mac === f1.mac)?.dst, '10.0.0.19');
      assert.equal((await env.netlink.neighbours(dev)).find((n) => n.ip === n1.ip)?.mac, '66:aa:bb:cc:dd:09');
      await env.netlink.applyNeighbours(dev, [n2, { dev, ip: '10.65.99.0', mac: '66:aa:bb:cc:dd:99' }], []);
      await env.netlink.applyFdb(dev, [f2, { dev, mac: '66:aa:bb:cc:dd:99', dst: '10.0.0.99' }], []);
      assert.deepEqual((await env.netlink.neighbours(dev)).map((n) => n.ip), ['10.65.9.0']);
      assert.deepEqual((await env.netlink.fdb(dev)).map((f) => f.mac), ['66:aa:bb:cc:dd:02']);
      assert.deepEqual(await env.netlink.neighbours('tt-nosuch'), [], 'a missing device has no entries');
      assert.deepEqual(await env.netlink.fdb('tt-nosuch'), []);
      await assert.rejects(env.netlink.applyNeighbours('tt-nosuch', [], [{ ...n1, dev: 'tt-nosuch' }]), (x: unknown) => isTortieErrorLike(x, 'TORTIE_ERR_DATAPLANE_IPROUTE'));
    });

    it('routes over the VXLAN device (onlink via the remote tunnel address)', async () => {
      await env.netlink.ensureVxlan({ name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-u0', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' });
      const r: Route = { dst: '10.65.64.0/26', type: 'unicast', via: '10.65.64.0', dev: 'vxlan.tortie', onlink: true };
      await env.netlink.applyRoutes(P, [], [r]);
      assert.deepEqual(await env.netlink.routes(P), [canonicalRoute(r)]);
      assert.deepEqual(await env.netlink.routeGet('10.65.64.7'), { dev: 'vxlan.tortie', src: '10.65.0.0' });
      await env.netlink.deleteLink('vxlan.tortie');
      assert.deepEqual(await env.netlink.routes(P), [], 'routes go with their device');
    });

    it('supportsLinkKind: vxlan yes, ipip no (this kernel), and nothing is left behind', async () => {
      const before = (await env.netlink.links()).map((l) => l.name).sort();
      assert.equal(await env.netlink.supportsLinkKind('vxlan'), true);
      assert.equal(await env.netlink.supportsLinkKind('ipip'), env.kernelHasIpip);
      assert.deepEqual((await env.netlink.links()).map((l) => l.name).sort(), before);
    });

    it('routeGet: the interface and source address towards a destination, null when unroutable', async () => {
      await env.netlink.applyRoutes(P, [], [{ dst: '0.0.0.0/0', type: 'unicast', via: '10.0.0.1', dev: 'tt-u0' }]);
      assert.deepEqual(await env.netlink.routeGet('8.8.8.8'), { dev: 'tt-u0', src: '10.0.0.5' });
      assert.deepEqual(await env.netlink.routeGet('10.0.0.77'), { dev: 'tt-u0', src: '10.0.0.5' });
      await env.netlink.applyRoutes(P, [{ dst: '0.0.0.0/0', type: 'unicast' }], []);
      assert.equal(await env.netlink.routeGet('8.8.8.8'), null);
    });

    it('taking a link down flushes its routes and neighbours (the managers must re-add them)', async () => {
      await env.netlink.applyRoutes(P, [], [{ dst: '10.65.0.3/32', type: 'unicast', dev: 'tt-w0' }]);
      await env.setLinkUp('tt-w0', false);
      assert.deepEqual(await env.netlink.routes(P), []);
      await env.setLinkUp('tt-w0', true);
      assert.deepEqual(await env.netlink.routes(P), []);
      await env.netlink.ensureVxlan({ name: 'vxlan.tortie', vni: 4096, port: 4789, local: '10.0.0.5', parent: 'tt-u0', mtu: 1450, mac: '66:aa:bb:cc:dd:01', address: '10.65.0.0/32' });
      await env.netlink.applyNeighbours('vxlan.tortie', [], [{ dev: 'vxlan.tortie', ip: '10.65.9.0', mac: '66:aa:bb:cc:dd:02' }]);
      await env.setLinkUp('vxlan.tortie', false);
      assert.deepEqual(await env.netlink.neighbours('vxlan.tortie'), []);
      assert.equal((await env.netlink.links()).find((l) => l.name === 'vxlan.tortie')?.up, false);
    });
  });
}
