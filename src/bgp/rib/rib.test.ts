import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextWith, decodeMessage, encodeMessage, routeChanges, type UpdateMessage } from '../codec/index.js';
import { announce, CFG, ebgp, eor, path, peer, pfx, RR_CFG, withdraw } from './_fixtures.js';
import { AdjRibOut, exportPath, maxPrefixNotification, packUpdates, Rib, type Announce } from './index.js';

const seq = (...asns: number[]) => [{ type: 'sequence' as const, asns }];

test('an eBGP path with our AS in its AS_PATH is treated as withdrawn; allowas-in lets it in', () => {
  const p = ebgp(1, 65001);
  const rib = new Rib(CFG);
  rib.addPeer(p);
  assert.equal(rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65001) })).changes.length, 1);
  const loop = rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65001, 64512, 65009) }));
  assert.deepEqual(loop.rejected.map((r) => r.reason), ['as-path-loop']);
  assert.equal(loop.changes[0]!.after, undefined, 'the earlier path is gone');
  const allow = new Rib(CFG);
  allow.addPeer(p, { allowAsIn: 1 });
  assert.equal(allow.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65001, 64512) })).rejected.length, 0);
  assert.equal(allow.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65001, 64512, 64512) })).rejected.length, 1);
});

test('enforce first AS (optional): an eBGP path must start with the peer\'s AS', () => {
  const p = ebgp(1, 65001);
  const rib = new Rib(CFG);
  rib.addPeer(p, { enforceFirstAs: true });
  assert.deepEqual(rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65002) })).rejected.map((r) => r.reason), ['first-as']);
  assert.equal(rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: seq(65001, 65002) })).rejected.length, 0);
});

test('route reflection loops: our ORIGINATOR_ID or our cluster in CLUSTER_LIST are dropped', () => {
  const rib = new Rib(RR_CFG);
  const p = peer(1);
  rib.addPeer(p);
  assert.deepEqual(rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: [], originatorId: '10.0.0.1' })).rejected.map((r) => r.reason), ['originator-is-us']);
  assert.deepEqual(rib.update(p.id, announce([pfx('10.65.0.0/26')], { origin: 0, asPath: [], clusterList: ['9.9.9.9', '10.0.0.1'] })).rejected.map((r) => r.reason), ['cluster-loop']);
});

test('max-prefix is counted per family (BIRD channel import limit) and reported with the RFC 4486 Cease data', () => {
  const rib = new Rib(CFG);
  const p = peer(1);
  rib.addPeer(p, { maxPrefix: 2 });
  const attrs = { origin: 0, asPath: [] } as const;
  assert.equal(rib.update(p.id, announce([pfx('10.0.0.0/24'), pfx('10.0.1.0/24')], attrs)).maxPrefixExceeded, undefined, 'at the limit is fine');
  assert.equal(rib.update(p.id, announce([pfx('10.0.0.0/24')], { ...attrs, med: 5 })).maxPrefixExceeded, undefined, 'a replaced path is not counted twice');
  assert.equal(rib.update(p.id, announce([pfx('fd00:1::/64'), pfx('fd00:2::/64')], attrs, 'fd00::9', '2/1')).maxPrefixExceeded, undefined, 'IPv6 has its own count');
  assert.deepEqual(Object.fromEntries(rib.adjRibInCounts(p.id)), { '1/1': 2, '2/1': 2 });
  rib.update(p.id, withdraw([pfx('10.0.1.0/24')]));
  assert.equal(rib.update(p.id, announce([pfx('10.0.2.0/24')], attrs)).maxPrefixExceeded, undefined, 'a withdrawal makes room');
  assert.deepEqual(rib.update(p.id, announce([pfx('fd00:3::/64')], attrs, 'fd00::9', '2/1')).maxPrefixExceeded, { family: '2/1', limit: 2, count: 3 });
  const n = maxPrefixNotification('2/1', 2);
  assert.deepEqual([n.code, n.subcode, [...n.data]], [6, 1, [0, 2, 1, 0, 0, 0, 2]]);
  assert.deepEqual([...maxPrefixNotification('1/1', 4294967295).data], [0, 1, 1, 255, 255, 255, 255]);
  rib.dropPeer(p.id);
  assert.equal(rib.adjRibInCounts(p.id).size, 0);
});

test('next hops (RFC 4271 §6.3): not a unicast address → refused (treat-as-withdraw); one of ours → ignored', () => {
  const rib = new Rib(CFG);
  const p = ebgp(1, 65001);
  rib.addPeer(p);
  const attrs = { origin: 0, asPath: seq(65001) } as const;
  const reasons = (nh: string, family: '1/1' | '2/1' = '1/1', prefix = '10.65.0.0/26'): string[] =>
    rib.update(p.id, announce([pfx(prefix)], attrs, nh, family)).rejected.map((r) => r.reason);
  assert.deepEqual(reasons('10.0.1.254'), ['next-hop-is-us'], 'our address on the session');
  assert.deepEqual(reasons('10.0.0.1'), ['next-hop-is-us'], 'our router ID');
  assert.deepEqual(reasons('fd00::fe', '2/1', 'fd00:1::/64'), ['next-hop-is-us'], 'our IPv6 address on the session');
  assert.deepEqual(reasons('::', '2/1', 'fd00:1::/64'), ['next-hop-invalid']);
  assert.deepEqual(reasons('ff02::1', '2/1', 'fd00:1::/64'), ['next-hop-invalid']);
  assert.deepEqual(reasons('0.0.0.0'), ['next-hop-invalid'], 'MP_REACH for IPv4 is not checked by the codec');
  assert.deepEqual(reasons('240.0.0.1'), ['next-hop-invalid']);
  assert.deepEqual(reasons('10.0.1.9'), []);
  assert.deepEqual(reasons('127.0.0.1'), [], 'loopback is a host address (the kernel side checks the subnet)');
  assert.deepEqual(reasons('fd00::9', '2/1', 'fd00:1::/64'), []);
});

test('route reflection: what goes to whom (RFC 4456 §6), ORIGINATOR_ID set and CLUSTER_LIST prepended', () => {
  const client = peer(1, { rrClient: true }), client2 = peer(2, { rrClient: true });
  const nonClient = peer(3), nonClient2 = peer(4), external = ebgp(5, 65005);
  const from = (src: typeof client) => path(src, { localPref: 100 });
  const to = (p: ReturnType<typeof from>, t: typeof client) => exportPath(p, t, RR_CFG) !== null;
  assert.deepEqual([to(from(client), client2), to(from(client), nonClient), to(from(client), client)], [true, true, false]);
  assert.deepEqual([to(from(nonClient), client), to(from(nonClient), nonClient2)], [true, false]);
  assert.deepEqual([to(from(external), client), to(from(external), nonClient)], [true, true]);
  assert.equal(exportPath(from(nonClient), nonClient2, CFG), null, 'no reflection without a cluster ID');
  const adv = exportPath(path(client, { clusterList: ['7.7.7.7'] }), nonClient, RR_CFG)!;
  assert.equal(adv.attributes.originatorId, client.routerId);
  assert.deepEqual(adv.attributes.clusterList, ['10.0.0.1', '7.7.7.7']);
  assert.equal(adv.nextHops[0], client.address, 'iBGP keeps the next hop');
  assert.equal(exportPath(path(client, { originatorId: client2.routerId }), client2, RR_CFG), null, 'not back to its originator');
});

test('eBGP export: own AS prepended, next hop self, no LOCAL_PREF, a learned MED not passed on', () => {
  const src = ebgp(1, 65001), dst = ebgp(2, 65002);
  const adv = exportPath(path(src, { asPath: seq(65001), med: 7, localPref: 300, originatorId: '1.1.1.1' }), dst, CFG)!;
  assert.deepEqual(adv.attributes.asPath, seq(64512, 65001));
  assert.deepEqual(adv.nextHops, ['10.0.1.254']);
  assert.equal(adv.attributes.localPref, undefined);
  assert.equal(adv.attributes.med, undefined);
  assert.equal(adv.attributes.originatorId, undefined);
  const local = exportPath(path(undefined, { med: 5 }), dst, CFG)!;
  assert.equal(local.attributes.med, 5, 'our own MED goes out');
  assert.deepEqual(local.attributes.asPath, seq(64512));
  const ibgp = exportPath(path(src, { asPath: seq(65001) }), peer(3), CFG)!;
  assert.deepEqual([ibgp.nextHops, ibgp.attributes.localPref, ibgp.attributes.asPath], [['10.0.1.1'], 100, seq(65001)]);
  const self = exportPath(path(src, { asPath: seq(65001) }), peer(3, { nextHopMode: 'self' }), CFG)!;
  assert.deepEqual(self.nextHops, ['10.0.1.254']);
  assert.equal(exportPath(path(src, { communities: [0xffffff01] }), dst, CFG), null, 'NO_EXPORT');
  assert.equal(exportPath(path(src, {}), dst, CFG, () => false), null, 'export policy');
});

test('IPv6 export: next hop self with the link-local address for a direct eBGP peer', () => {
  const dst = ebgp(2, 65002, { localLinkLocal6: 'fe80::fe' });
  const adv = exportPath(path(undefined, {}, { family: '2/1', prefix: pfx('fd00:65::/122') }), dst, CFG)!;
  assert.deepEqual(adv.nextHops, ['fd00::fe', 'fe80::fe']);
});

function packed(n: number, maxLength: number, family: '1/1' | '2/1' = '1/1'): { msgs: UpdateMessage[]; sizes: number[]; prefixes: number } {
  const ctx = contextWith({ fourOctetAs: true, maxLength });
  const ann: Announce[] = [];
  for (let i = 0; i < n; i++) {
    const prefix = family === '1/1' ? pfx(`10.${(i >> 8) & 255}.${i & 255}.0/24`) : pfx(`fd00:${i.toString(16)}::/64`);
    ann.push({ family, prefix, attributes: { origin: 0, asPath: seq(64512), communities: [i % 2] }, nextHops: [family === '1/1' ? '10.0.0.1' : 'fd00::1'] });
  }
  const msgs = packUpdates(ann, ann.map((a) => ({ family, prefix: a.prefix })), ctx);
  const sizes = msgs.map((m) => encodeMessage(m, ctx).length);
  let prefixes = 0;
  for (const m of msgs) {
    const r = decodeMessage(encodeMessage(m, ctx), ctx);
    assert.ok(r.ok && r.message.type === 'update');
    const ch = routeChanges(r.message);
    prefixes += ch.announced.length + ch.withdrawn.length;
  }
  return { msgs, sizes, prefixes };
}

test('UPDATE packing: identical attributes share UPDATEs filled to 4096 octets, or 65535 with extended messages', () => {
  for (const family of ['1/1', '2/1'] as const) {
    const small = packed(3000, 4096, family);
    assert.equal(small.prefixes, 6000, 'every announcement and withdrawal once');
    assert.ok(small.sizes.every((s) => s <= 4096));
    const perMsg = family === '1/1' ? 4 : 9;
    const ideal = Math.ceil((3000 * perMsg) / 4050) + 2 * Math.ceil((1500 * perMsg) / 4000);
    assert.ok(small.msgs.length <= ideal + 2, `${family}: ${small.msgs.length} UPDATEs, about ${ideal} needed`);
    assert.ok(small.sizes.filter((s) => s > 3900).length >= small.msgs.length - 4, 'UPDATEs are nearly full');
    const big = packed(3000, 65535, family);
    assert.ok(big.sizes.every((s) => s <= 65535));
    assert.equal(big.msgs.length, 3, `${family}: one withdrawal UPDATE and one per attribute set`);
  }
});

test('Adj-RIB-Out: initial dump then End-of-RIB per family; later changes only', () => {
  const rib = new Rib(CFG);
  rib.originate({ family: '1/1', prefix: pfx('10.65.0.0/26'), attributes: { origin: 0 }, nextHops: [] });
  rib.originate({ family: '2/1', prefix: pfx('fd00:65::/122'), attributes: { origin: 0 }, nextHops: [] });
  const out = new AdjRibOut(ebgp(2, 65002), ['1/1', '2/1'], contextWith({ fourOctetAs: true }), CFG);
  const dump = out.initialDump(rib);
  assert.equal(dump.length, 4);
  assert.deepEqual(dump.slice(2).map((u) => routeChanges(u).endOfRib), ['1/1', '2/1']);
  assert.deepEqual(out.flush(), [], 'nothing new');
  out.offerChanges(rib.withdrawLocal('1/1', pfx('10.65.0.0/26')));
  const w = out.flush();
  assert.equal(w.length, 1);
  assert.equal(routeChanges(w[0]!).withdrawn.length, 1);
  out.offerChanges(rib.originate({ family: '1/1', prefix: pfx('10.65.0.0/26'), attributes: { origin: 0 }, nextHops: [] }));
  out.offerChanges(rib.withdrawLocal('1/1', pfx('10.65.0.0/26')));
  assert.deepEqual(out.flush(), [], 'announce then withdraw before a flush: nothing to say');
});

test('graceful restart: a restarting peer\'s routes stay, stale, until End-of-RIB or the restart timer', () => {
  const rib = new Rib(CFG);
  const p = peer(1);
  rib.addPeer(p);
  const attrs = { origin: 0 as const, asPath: [] };
  rib.update(p.id, announce([pfx('10.1.0.0/24'), pfx('10.2.0.0/24'), pfx('10.3.0.0/24')], attrs));
  rib.update(p.id, announce([pfx('fd00:1::/64')], attrs, 'fd00::9', '2/1'));
  rib.markStale(p.id);
  assert.equal(rib.staleCount(p.id), 4);
  assert.ok(rib.best('1/1', pfx('10.2.0.0/24')), 'still routed while the peer restarts');
  rib.update(p.id, announce([pfx('10.1.0.0/24')], attrs));
  assert.equal(rib.staleCount(p.id), 3, 'refreshed routes are no longer stale');
  const flushed = rib.update(p.id, eor('1/1'));
  assert.deepEqual(flushed.changes.map((c) => [c.prefix.prefix, c.after === undefined]), [[24, true], [24, true]]);
  assert.ok(rib.best('1/1', pfx('10.1.0.0/24')));
  assert.ok(rib.best('2/1', pfx('fd00:1::/64')), 'the IPv6 End-of-RIB has not come yet');
  const timer = rib.flushStale(p.id);
  assert.equal(timer.length, 1);
  assert.equal(rib.best('2/1', pfx('fd00:1::/64')), undefined);
});

test('Loc-RIB: best path changes are reported, ECMP included; a dropped peer takes its paths', () => {
  const rib = new Rib(CFG);
  const a = ebgp(1, 65001), b = ebgp(2, 65002);
  rib.addPeer(a); rib.addPeer(b);
  const p = pfx('10.9.0.0/16');
  const c1 = rib.update(a.id, announce([p], { origin: 0, asPath: seq(65001, 65100) }));
  assert.equal(c1.changes[0]!.after!.decidedBy, 'only-path');
  const c2 = rib.update(b.id, announce([p], { origin: 0, asPath: seq(65002, 65100) }));
  assert.equal(c2.changes[0]!.after!.ecmp.length, 2, 'an ECMP change is a change');
  assert.deepEqual(rib.update(b.id, withdraw([p])).changes[0]!.after!.ecmp.length, 1);
  assert.equal(rib.dropPeer(a.id)[0]!.after, undefined);
  rib.update(b.id, announce([pfx('fd00:9::/64')], { origin: 0, asPath: seq(65002) }, 'fd00::2', '2/1'));
  assert.equal(rib.dropFamily(b.id, '2/1').length, 1, 'AFI/SAFI disable');
  assert.equal(rib.adjRibInSize(b.id), 0);
});

test('paths of UPDATEs with equal attributes share one interned source; it goes when its last path does', () => {
  const p = peer(1);
  const rib = new Rib(CFG);
  rib.addPeer(p);
  const attrs = () => ({ origin: 0 as const, asPath: seq(65001), localPref: 100 });
  rib.update(p.id, announce([pfx('10.1.0.0/24'), pfx('10.1.1.0/24')], attrs()));
  rib.update(p.id, announce([pfx('10.1.2.0/24')], attrs()));
  assert.equal(rib.sourceCount, 1, 'two UPDATEs, one attribute set');
  const a = rib.best('1/1', pfx('10.1.0.0/24'))!.best, c = rib.best('1/1', pfx('10.1.2.0/24'))!.best;
  assert.equal(a.attributes, c.attributes, 'the very same attributes object');
  assert.ok(Object.isFrozen(a.attributes));
  rib.update(p.id, announce([pfx('10.1.3.0/24')], { ...attrs(), localPref: 200 }));
  assert.equal(rib.sourceCount, 2);
  rib.update(p.id, withdraw([pfx('10.1.3.0/24')]));
  assert.equal(rib.sourceCount, 1, 'the local-pref 200 set had no path left');
  rib.update(p.id, announce([pfx('10.1.0.0/24'), pfx('10.1.1.0/24'), pfx('10.1.2.0/24')], { ...attrs(), med: 5 }));
  assert.equal(rib.sourceCount, 1, 'every path moved to the MED 5 set');
  rib.dropPeer(p.id);
  assert.equal(rib.sourceCount, 0);
});

test('one path, two, then one again: each best-path change is reported once, the ECMP set included', () => {
  const p1 = peer(1), p2 = peer(2);
  const rib = new Rib(CFG);
  rib.addPeer(p1);
  rib.addPeer(p2);
  const attrs = { origin: 0 as const, asPath: [], localPref: 100 };
  const first = rib.update(p1.id, announce([pfx('10.9.0.0/24')], attrs, p1.address));
  assert.deepEqual(first.changes.map((c) => [c.before, c.after?.decidedBy, c.after?.ecmp.length]), [[undefined, 'only-path', 1]]);
  const second = rib.update(p2.id, announce([pfx('10.9.0.0/24')], attrs, p2.address));
  assert.deepEqual(second.changes.map((c) => [c.before?.decidedBy, c.after?.best.peer?.id, c.after?.ecmp.length]), [['only-path', p1.id, 2]]);
  assert.equal(rib.update(p2.id, announce([pfx('10.9.0.0/24')], attrs, p2.address)).changes.length, 1, 'a new path object from p2 changes the ECMP set');
  const back = rib.update(p1.id, withdraw([pfx('10.9.0.0/24')]));
  assert.deepEqual(back.changes.map((c) => [c.before?.ecmp.length, c.after?.best.peer?.id, c.after?.decidedBy]), [[2, p2.id, 'only-path']]);
  assert.equal(rib.update(p1.id, withdraw([pfx('10.9.0.0/24')])).changes.length, 0, 'withdrawing what is gone changes nothing');
  assert.deepEqual(rib.update(p2.id, withdraw([pfx('10.9.0.0/24')])).changes.map((c) => c.after), [undefined]);
  assert.equal(rib.best('1/1', pfx('10.9.0.0/24')), undefined);
});
