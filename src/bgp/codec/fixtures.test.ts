// Bytes captured from real daemons by test/bgp/capture-fixtures.ts (BIRD 2.0.12 and GoBGP 3.10.0,
// each in its own network namespace, talking to a listener that speaks Tortie's codec).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  AS_TRANS, contextWith, decodeMessage, encodeMessage, endOfRibFamily, fromHex, hex, routeChanges,
  type CodecContext, type Message, type OpenMessage, type UpdateMessage,
} from './index.js';

interface Fixture { readonly daemon: string; readonly sessions: Readonly<Record<string, readonly string[]>> }
const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../../../../src/bgp/codec/fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;

const bird = load('bird2');
const gobgp = load('gobgp');

function decodeAll(msgs: readonly string[], ctx: CodecContext): Message[] {
  return msgs.map((h, i) => {
    const r = decodeMessage(fromHex(h), ctx);
    assert.ok(r.ok, `message ${i}: ${r.ok ? '' : r.error.reason}`);
    assert.deepEqual(r.problems, [], `message ${i}`);
    // Our encoding of what we decoded decodes to the same thing.
    const again = decodeMessage(encodeMessage(r.message, ctx), ctx);
    assert.ok(again.ok);
    assert.deepEqual(again.message, r.message);
    return r.message;
  });
}
const updates = (ms: Message[]): UpdateMessage[] => ms.filter((m): m is UpdateMessage => m.type === 'update');

test('fixtures name the daemons they came from', () => {
  assert.match(bird.daemon, /BIRD version 2\./);
  assert.match(gobgp.daemon, /gobgpd .*3\./);
});

test('BIRD 2, eBGP with IPv4+IPv6, ADD-PATH, extended messages and enhanced route refresh', () => {
  const ctx = contextWith({ fourOctetAs: true, addPath: new Set(['1/1', '2/1'] as const) });
  const ms = decodeAll(bird.sessions.modern!, ctx);
  const open = ms[0] as OpenMessage;
  assert.equal(open.type, 'open');
  assert.equal(open.myAs, AS_TRANS);
  assert.equal(open.capabilities.fourOctetAs, 4200000002);
  assert.equal(open.holdTime, 90);
  assert.deepEqual(open.capabilities.multiprotocol, [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
  assert.equal(open.capabilities.extendedMessage, true);
  assert.equal(open.capabilities.enhancedRouteRefresh, true);
  assert.equal(open.capabilities.gracefulRestart?.time, 120);
  assert.deepEqual(open.capabilities.addPath?.map((f) => [f.afi, f.send, f.receive]), [[1, true, true], [2, true, true]]);
  assert.deepEqual(open.capabilities.unknown?.map((u) => u.code), [71], 'long-lived graceful restart, kept as unknown');
  const ups = updates(ms);
  const first = ups[0]!;
  assert.deepEqual(first.attributes.asPath, [{ type: 'sequence', asns: [4200000002] }]);
  assert.equal(first.attributes.med, 50);
  assert.deepEqual(first.attributes.largeCommunities, [[65000, 1, 2]]);
  assert.ok(first.nlri.every((n) => n.pathId !== undefined), 'path identifiers present');
  const v6 = ups.find((u) => u.attributes.mpReach)!;
  assert.deepEqual(v6.attributes.mpReach!.nextHops.length, 2);
  assert.deepEqual(ups.map(endOfRibFamily).filter(Boolean), [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
  const rr = ms.filter((m) => m.type === 'route-refresh').map((m) => (m as { subtype: number }).subtype);
  assert.deepEqual(rr, [1, 2], 'BoRR then EoRR (RFC 7313)');
  const last = ms[ms.length - 1]!;
  assert.deepEqual(last.type === 'notification' && [last.code, last.subcode], [1, 3]);
});

test('BIRD 2 to a 2-octet-AS peer: AS_TRANS on the wire, AS4_PATH rebuilds 4200000002', () => {
  const raw = bird.sessions.old!.find((h) => h.slice(36, 38) === '02' && h.length > 60)!;
  assert.ok(raw.includes('40020402015ba0'), 'AS_PATH is AS_TRANS');
  assert.ok(raw.includes('c011060201fa56ea02'), 'AS4_PATH carries 4200000002');
  const ms = decodeAll(bird.sessions.old!, contextWith({ fourOctetAs: false }));
  assert.deepEqual(updates(ms)[0]!.attributes.asPath, [{ type: 'sequence', asns: [4200000002] }]);
});

test('BIRD 2 iBGP: LOCAL_PREF 100, empty AS_PATH, next hop kept', () => {
  const ms = decodeAll(bird.sessions.internal!, contextWith({ fourOctetAs: true }));
  const u = updates(ms)[0]!;
  assert.equal(u.attributes.localPref, 100);
  assert.deepEqual(u.attributes.asPath, []);
  assert.equal(u.attributes.nextHop, '10.99.1.2');
});

test('BIRD 2 over IPv6 on a shared link: global plus link-local next hop (RFC 2545)', () => {
  const ms = decodeAll(bird.sessions.v6direct!, contextWith({ fourOctetAs: true }));
  const u = updates(ms).find((x) => x.attributes.mpReach)!;
  const [global, ll] = u.attributes.mpReach!.nextHops;
  assert.equal(global, 'fd00:99:1::2');
  assert.match(ll!, /^fe80::/);
  const ch = routeChanges(u);
  assert.deepEqual(ch.announced.map((a) => a.family), ['2/1', '2/1']);
});

test('GoBGP 3: extended next hop and FQDN capabilities, AGGREGATOR, EGP origin, IPv6 via MP_REACH', () => {
  const ms = decodeAll(gobgp.sessions.modern!, contextWith({ fourOctetAs: true, addPath: new Set(['1/1'] as const) }));
  const open = ms[0] as OpenMessage;
  assert.equal(open.capabilities.fourOctetAs, 65003);
  assert.deepEqual(open.capabilities.extendedNextHop, [{ afi: 1, safi: 1, nextHopAfi: 2 }]);
  assert.equal(typeof open.capabilities.fqdn?.hostname, 'string');
  const ups = updates(ms);
  const agg = ups.find((u) => u.attributes.aggregator)!;
  assert.deepEqual(agg.attributes.aggregator, { as: 65003, address: '10.99.2.2' });
  assert.equal(agg.attributes.origin, 1);
  assert.deepEqual(agg.attributes.asPath, [{ type: 'sequence', asns: [65003, 65010, 65011] }]);
  assert.ok(ups.some((u) => u.attributes.mpReach?.nlri.length === 1));
});

test('re-encoding what BIRD and GoBGP sent gives their bytes back, but for attribute order and BIRD\'s always-extended MP_REACH', () => {
  let same = 0, total = 0;
  for (const [fx, sessions] of [[bird, ['internal', 'old']], [gobgp, []]] as const) {
    for (const s of sessions) {
      const ctx = contextWith({ fourOctetAs: s !== 'old' });
      for (const h of fx.sessions[s]!) {
        total++;
        const r = decodeMessage(fromHex(h), ctx);
        assert.ok(r.ok);
        if (hex(encodeMessage(r.message, ctx)) === h) same++;
      }
    }
  }
  assert.equal(same, total);
});
