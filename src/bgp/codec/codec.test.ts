import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { pfx, EXTENDED_LENGTH_UPDATE, FULL_UPDATE, IPV6_UPDATE, SAMPLES } from './_samples.js';
import {
  AS_TRANS, ATTRIBUTES, CAPABILITIES, contextWith, decodeMessage, encodeMessage, endOfRib, endOfRibFamily,
  fromHex, hex, routeChanges, type CodecContext, type Message, type UpdateMessage, type WireError,
} from './index.js';

const FOUR = contextWith({ fourOctetAs: true });
const TWO = contextWith({ fourOctetAs: false });

function roundTrip(m: Message, ctx: CodecContext): Message {
  const r = decodeMessage(encodeMessage(m, ctx), ctx);
  assert.ok(r.ok, `decode failed: ${r.ok ? '' : r.error.reason}`);
  assert.deepEqual(r.problems, []);
  return r.message;
}

/** Unknown optional transitive attributes come back with Partial set (RFC 4271 §5). */
const withPartial = (m: Message): Message => m.type !== 'update' || !m.attributes.unknown ? m
  : { ...m, attributes: { ...m.attributes, unknown: m.attributes.unknown.map((u) => ({ ...u, flags: u.flags | 0x20 })) } };

test('every sample message survives encode → decode, with 4-octet and 2-octet AS numbers', () => {
  for (const m of SAMPLES) {
    assert.deepEqual(roundTrip(m, FOUR), withPartial(m), m.type);
    assert.deepEqual(roundTrip(m, TWO), withPartial(m), `${m.type} via a 2-octet speaker`);
  }
});

test('every attribute of the table and every capability is exercised by the samples', () => {
  const seenAttrs = new Set<string>();
  const seenCaps = new Set<string>();
  for (const m of SAMPLES) {
    if (m.type === 'update') for (const k of Object.keys(m.attributes)) seenAttrs.add(k);
    if (m.type === 'open') for (const k of Object.keys(m.capabilities)) seenCaps.add(k);
  }
  // AS4_PATH and AS4_AGGREGATOR appear on the wire to a 2-octet speaker (checked below).
  const missing = ATTRIBUTES.map((a) => a.key).filter((k) => !seenAttrs.has(k) && k !== 'as4Path' && k !== 'as4Aggregator');
  assert.deepEqual(missing, []);
  const missingCaps = CAPABILITIES.map((c) => c.key).filter((k) => !seenCaps.has(k) && k !== 'ciscoRouteRefresh' && k !== 'extendedNextHop');
  assert.deepEqual(missingCaps, []);
});

test('a 2-octet speaker gets AS_TRANS plus AS4_PATH/AS4_AGGREGATOR, and the true path is rebuilt', () => {
  const bytes = encodeMessage(FULL_UPDATE, TWO);
  const h = hex(bytes);
  assert.ok(h.includes('5ba0'), 'AS_TRANS (23456 = 0x5ba0) on the wire');
  assert.ok(h.includes('c011'), 'AS4_PATH (type 17, optional transitive)');
  assert.ok(h.includes('c012'), 'AS4_AGGREGATOR (type 18)');
  // Seen as a 4-octet speaker would see raw bytes from the 2-octet one: decode with TWO merges.
  const r = decodeMessage(bytes, TWO);
  assert.ok(r.ok && r.message.type === 'update');
  assert.deepEqual(r.message.attributes.asPath, FULL_UPDATE.attributes.asPath);
  assert.deepEqual(r.message.attributes.aggregator, FULL_UPDATE.attributes.aggregator);
  assert.equal(r.message.attributes.as4Path, undefined);
});

test('AS4 reconstruction keeps the leading ASes a 2-octet speaker prepended after AS4_PATH was made', () => {
  // A 4-octet origin 4200000001 → a new speaker 65002 → an old speaker 65003 that prepends itself
  // to AS_PATH only: AS_PATH 65003 65002 23456, AS4_PATH 65002 4200000001.
  const h2 = (n: number): string => n.toString(16).padStart(4, '0');
  const h4 = (n: number): string => n.toString(16).padStart(8, '0');
  const asPath = `4002080203${h2(65003)}${h2(65002)}${h2(AS_TRANS)}`;
  const as4 = `c0110a0202${h4(65002)}${h4(4200000001)}`;
  const attrs = `40010100${asPath}4003040a000001${as4}`;
  const body = `0000${(attrs.length / 2).toString(16).padStart(4, '0')}${attrs}180a0101`;
  const msg = fromHex(`${'ff'.repeat(16)}${(19 + body.length / 2).toString(16).padStart(4, '0')}02${body}`);
  const r = decodeMessage(msg, TWO);
  assert.ok(r.ok && r.message.type === 'update', r.ok ? '' : r.error.reason);
  assert.deepEqual(r.message.attributes.asPath, [{ type: 'sequence', asns: [65003, 65002, 4200000001] }]);
});

test('AS4_PATH longer than AS_PATH is ignored; between 4-octet speakers AS4_* are discarded', () => {
  const m: UpdateMessage = { ...FULL_UPDATE, attributes: { origin: 0, nextHop: '192.0.2.1', asPath: [{ type: 'sequence', asns: [65001] }], as4Path: [{ type: 'sequence', asns: [1, 2, 3] }] } };
  const r2 = decodeMessage(encodeMessage(m, FOUR), FOUR);
  assert.ok(r2.ok && r2.message.type === 'update');
  assert.equal(r2.message.attributes.as4Path, undefined);
});

test('IPv6 MP_REACH with a global and a link-local next hop, and MP_UNREACH', () => {
  const m = roundTrip(IPV6_UPDATE, FOUR);
  assert.ok(m.type === 'update');
  assert.deepEqual(m.attributes.mpReach?.nextHops, ['fd00:99::2', 'fe80::1:2ff:fe03:405']);
  const ch = routeChanges(m);
  assert.equal(ch.announced.length, 3);
  assert.equal(ch.withdrawn.length, 2);
  assert.equal(ch.announced[0]!.family, '2/1');
});

test('attributes over 255 octets use the Extended Length flag', () => {
  const bytes = encodeMessage(EXTENDED_LENGTH_UPDATE, FOUR);
  const h = hex(bytes);
  assert.ok(h.includes('d008' + (400).toString(16).padStart(4, '0')), 'COMMUNITIES with flags 0xd0 and a 2-octet length');
  assert.deepEqual(roundTrip(EXTENDED_LENGTH_UPDATE, FOUR), EXTENDED_LENGTH_UPDATE);
});

test('ADD-PATH path identifiers round-trip where negotiated', () => {
  const ctx = contextWith({ fourOctetAs: true, addPath: new Set(['1/1', '2/1'] as const) });
  const m: UpdateMessage = { type: 'update', withdrawn: [pfx('10.0.0.0/8', 7)], attributes: { origin: 0, asPath: [], nextHop: '192.0.2.1' }, nlri: [pfx('10.1.0.0/16', 1), pfx('10.1.0.0/16', 2)] };
  assert.deepEqual(roundTrip(m, ctx), m);
});

test('messages over 4096 octets need extended messages; OPEN and KEEPALIVE never exceed 4096', () => {
  const big: UpdateMessage = { type: 'update', withdrawn: [], attributes: { origin: 0, asPath: [], nextHop: '192.0.2.1', communities: Array.from({ length: 2000 }, (_, i) => i) }, nlri: [pfx('10.0.0.0/8')] };
  assert.throws(() => encodeMessage(big, FOUR), (e) => isTortieError(e, 'TORTIE_ERR_INTERNAL_BUG'));
  const ext = contextWith({ fourOctetAs: true, maxLength: 65535 });
  const bytes = encodeMessage(big, ext);
  assert.ok(bytes.length > 4096);
  assert.equal(decodeMessage(bytes, FOUR).ok, false, '4096 limit on a session without extended messages');
  assert.ok(decodeMessage(bytes, ext).ok);
  const ka = encodeMessage({ type: 'keepalive' }, ext);
  assert.equal(ka.length, 19);
});

test('End-of-RIB markers for IPv4 and IPv6 (RFC 4724 §2)', () => {
  for (const [afi, safi] of [[1, 1], [2, 1]] as const) {
    const r = decodeMessage(encodeMessage(endOfRib(afi, safi), FOUR), FOUR);
    assert.ok(r.ok && r.message.type === 'update');
    assert.deepEqual(endOfRibFamily(r.message), { afi, safi });
    assert.equal(routeChanges(r.message).endOfRib, `${afi}/${safi}`);
  }
  assert.equal(endOfRibFamily(FULL_UPDATE), undefined);
});

// ---- decode errors: each carries its NOTIFICATION and RFC 7606 rank ----

const header = (len: number, type: number): string => `${'ff'.repeat(16)}${len.toString(16).padStart(4, '0')}${type.toString(16).padStart(2, '0')}`;
function updateWith(attrsHex: string, nlriHex = '180a0101'): Uint8Array {
  const body = `0000${(attrsHex.length / 2).toString(16).padStart(4, '0')}${attrsHex}${nlriHex}`;
  return fromHex(header(19 + body.length / 2, 2) + body);
}
const GOOD = '400101004002060201000000014003040a000001'; // ORIGIN IGP, AS_PATH 1 (4-octet), NEXT_HOP 10.0.0.1

function problemOf(bytes: Uint8Array, ctx: CodecContext = FOUR): WireError {
  const r = decodeMessage(bytes, ctx);
  if (!r.ok) return r.error;
  assert.equal(r.problems.length > 0, true, 'expected a problem');
  return r.problems[0]!;
}

test('header errors: marker, length, type', () => {
  const ka = encodeMessage({ type: 'keepalive' }, FOUR);
  const bad = ka.slice(); bad[3] = 0;
  assert.deepEqual([problemOf(bad).code, problemOf(bad).subcode], [1, 1]);
  const long = fromHex(header(20, 4) + '00');
  const e = problemOf(long);
  assert.deepEqual([e.code, e.subcode, hex(e.data)], [1, 2, '0014']);
  const t = fromHex(header(19, 9));
  assert.deepEqual([problemOf(t).code, problemOf(t).subcode, hex(problemOf(t).data)], [1, 3, '09']);
  const rr = fromHex(header(24, 5) + '0001000100');
  assert.deepEqual([problemOf(rr).code, problemOf(rr).subcode], [7, 1], 'RFC 7313 §5 ROUTE-REFRESH length');
});

test('OPEN errors: version, hold time, identifier, optional parameter', () => {
  const open = (body: string): Uint8Array => fromHex(header(19 + body.length / 2, 1) + body);
  let e = problemOf(open('03fde900f00a00000100'));
  assert.deepEqual([e.code, e.subcode, hex(e.data)], [2, 1, '0004']);
  e = problemOf(open('04fde900020a00000100'));
  assert.deepEqual([e.code, e.subcode], [2, 6]);
  e = problemOf(open('04fde900f00000000000'));
  assert.deepEqual([e.code, e.subcode], [2, 3]);
  e = problemOf(open('04fde900f00a0000010401020000'));
  assert.deepEqual([e.code, e.subcode], [2, 4]);
});

test('RFC 7606 ranks per attribute', () => {
  const cases: Array<[string, string, number, number, WireError['rank']]> = [
    ['ORIGIN value 3', '40010103' + GOOD.slice(8), 3, 6, 'treat-as-withdraw'],
    ['ORIGIN length 2', '4001020000' + GOOD.slice(8), 3, 5, 'treat-as-withdraw'],
    ['AS_PATH segment type 7', '400101004002060701000000014003040a000001', 3, 11, 'treat-as-withdraw'],
    ['NEXT_HOP length 5', '400101004002060201000000014003050a00000100', 3, 5, 'treat-as-withdraw'],
    ['NEXT_HOP multicast', '40010100400206020100000001400304e0000001', 3, 8, 'treat-as-withdraw'],
    ['MED length 3', GOOD + '800403000000', 3, 5, 'treat-as-withdraw'],
    ['LOCAL_PREF length 2', GOOD + '40050200ff', 3, 5, 'treat-as-withdraw'],
    ['ATOMIC_AGGREGATE length 1', GOOD + '40060100', 3, 5, 'attribute-discard'],
    ['AGGREGATOR length 5', GOOD + 'c007050000000000', 3, 5, 'attribute-discard'],
    ['COMMUNITIES length 3', GOOD + 'c00803000000', 3, 5, 'treat-as-withdraw'],
    ['ORIGINATOR_ID length 3', GOOD + '800903000000', 3, 5, 'treat-as-withdraw'],
    ['CLUSTER_LIST length 0', GOOD + '800a00', 3, 5, 'treat-as-withdraw'],
    ['LARGE_COMMUNITY length 8', GOOD + 'c020080000000000000000', 3, 5, 'treat-as-withdraw'],
    ['AS4_PATH with a confederation segment', GOOD + 'c011060301000000010', 3, 11, 'attribute-discard'],
    ['MED with transitive flags', GOOD + 'c0040400000001', 3, 4, 'treat-as-withdraw'],
    ['MP_REACH next hop length 5 for IPv6', GOOD + '800e0b00020105000000000000' + '00', 3, 9, 'afi-safi-disable'],
    ['MP_REACH too short', GOOD + '800e020002', 3, 9, 'session-reset'],
    ['unknown well-known attribute', GOOD + '406301ff', 3, 2, 'session-reset'],
    ['MP_UNREACH twice', GOOD + '800f03000201800f03000201', 3, 1, 'session-reset'],
    ['attribute overruns the attribute area', GOOD + 'c00810000000', 3, 5, 'treat-as-withdraw'],
    ['ORIGIN missing', GOOD.slice(8), 3, 3, 'treat-as-withdraw'],
  ];
  for (const [name, attrs, code, subcode, rank] of cases) {
    const fixed = attrs.length % 2 ? attrs.slice(0, -1) : attrs;
    const e = problemOf(updateWith(fixed));
    assert.deepEqual([e.code, e.subcode, e.rank], [code, subcode, rank], name);
  }
});

test('treat-as-withdraw turns every announced prefix into a withdrawal', () => {
  const r = decodeMessage(updateWith('40010103' + GOOD.slice(8)), FOUR);
  assert.ok(r.ok && r.message.type === 'update');
  const ch = routeChanges(r.message, r.problems);
  assert.equal(ch.treatAsWithdraw, true);
  assert.deepEqual(ch.announced, []);
  assert.equal(ch.withdrawn.length, 1);
});

test('duplicate attributes other than MP_* keep the first (discard); external peers lose LOCAL_PREF', () => {
  const r = decodeMessage(updateWith(GOOD + '40050400000064' + '400504000000c8'), FOUR);
  assert.ok(r.ok && r.message.type === 'update');
  assert.equal(r.message.attributes.localPref, 100);
  assert.equal(r.problems[0]!.rank, 'attribute-discard');
  const ext = decodeMessage(updateWith(GOOD + '40050400000064'), contextWith({ fourOctetAs: true, external: true }));
  assert.ok(ext.ok && ext.message.type === 'update');
  assert.equal(ext.message.attributes.localPref, undefined);
});

test('a repeated unrecognised attribute keeps its first occurrence, as a recognised one does (RFC 7606 §3 g)', () => {
  const r = decodeMessage(updateWith(GOOD + 'c06401ee' + 'c06402aabb'), FOUR);
  assert.ok(r.ok && r.message.type === 'update');
  assert.deepEqual(r.message.attributes.unknown, [{ code: 100, flags: 0xc0, value: new Uint8Array([0xee]) }]);
  assert.deepEqual(r.problems.map((p) => [p.subcode, p.rank, p.attribute]), [[1, 'attribute-discard', 100]]);
  assert.equal(routeChanges(r.message, r.problems).announced.length, 1, 'the route is still taken');
});

test('confederation segments in AS_PATH from an external peer: malformed, treat-as-withdraw (RFC 5065 §5, RFC 7606 §7.2)', () => {
  const confed = '40010100' + '40020c' + '0301' + '0000fde8' + '0201' + '00000001' + '4003040a000001';
  const ext = contextWith({ fourOctetAs: true, external: true });
  const e = problemOf(updateWith(confed), ext);
  assert.deepEqual([e.code, e.subcode, e.rank], [3, 11, 'treat-as-withdraw']);
  const ibgp = decodeMessage(updateWith(confed), FOUR);
  assert.ok(ibgp.ok && ibgp.problems.length === 0, 'an internal peer may send them');
});

test('unknown optional non-transitive attributes are dropped, transitive ones kept', () => {
  const r = decodeMessage(updateWith(GOOD + '806301ff' + 'c06401ee'), FOUR);
  assert.ok(r.ok && r.message.type === 'update');
  assert.deepEqual(r.message.attributes.unknown, [{ code: 100, flags: 0xc0, value: new Uint8Array([0xee]) }]);
});

test('malformed NLRI and withdrawn fields reset the session', () => {
  let e = problemOf(updateWith(GOOD, '210a010101'));
  assert.deepEqual([e.code, e.subcode, e.rank], [3, 10, 'session-reset']);
  e = problemOf(updateWith(GOOD, '180a01'));
  assert.deepEqual([e.code, e.subcode, e.rank], [3, 10, 'session-reset']);
  const body = `0005180a0101`;
  e = problemOf(fromHex(header(19 + body.length / 2, 2) + body));
  assert.deepEqual([e.code, e.subcode], [3, 1]);
});
