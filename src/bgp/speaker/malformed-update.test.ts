// RFC 7606 on live sessions: for each kind of malformed UPDATE a hand-driven eBGP peer first has
// two good routes P and Q in the Loc-RIB, then sends the malformed UPDATE for P, then a good
// route R. What the RFC says must happen, happens:
//   treat-as-withdraw — P leaves the Loc-RIB, Q stays, R arrives, no NOTIFICATION, the session lives;
//   attribute discard — P stays (without the attribute), the session lives;
//   AFI/SAFI disable  — the family's routes from the peer go and later ones are ignored (RFC 4760 §7),
//                       the other family's stay and keep coming;
//   session reset     — the NOTIFICATION named, the connection closed, the peer's routes gone.
// Messages of a session are handled in order, so R's arrival proves the malformed one was handled.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/support/free-port.js';
import { within } from '../../../test/support/within.js';
import { BgpSpeaker, type PeerSpec } from './index.js';
import { RawPeer } from './_raw-peer.js';
import { announce4, announce6 } from './_watch.js';

const SPEAKER = '127.0.10.1';
const PEER_AS = 65001;
const RECEIVER_AS = 65002;

/** An UPDATE from raw path attribute bytes and NLRI bytes (4-octet AS session). */
function update(attrs: readonly number[], nlri: readonly number[]): Uint8Array {
  const body = [0, 0, (attrs.length >> 8) & 255, attrs.length & 255, ...attrs, ...nlri];
  const len = 19 + body.length;
  return Uint8Array.from([...new Array<number>(16).fill(255), len >> 8, len & 255, 2, ...body]);
}
const u32 = (a: number): number[] => [a >>> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255];
const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, ...u32(PEER_AS)];
const nextHop = (n: number): number[] => [0x40, 3, 4, 127, 0, 10, n];
const GOOD = (n: number): number[] => [...ORIGIN, ...AS_PATH, ...nextHop(n)];
const MP_REACH_V6 = (nhLen: number): number[] => {
  const nh = new Array<number>(nhLen).fill(0); nh[0] = 0xfd; nh[nhLen - 1] = 9;
  const v = [0, 2, 1, nhLen, ...nh, 0, 64, 0xfd, 0, 0, 0x66, 0, 9, 0, 1]; // fd00:66:9:1::/64
  return [0x80, 14, v.length, ...v];
};

type Outcome =
  | { readonly kind: 'withdraw' }
  | { readonly kind: 'discard'; readonly check?: (route: { origin: string; localPref?: number }) => string | null }
  | { readonly kind: 'reset'; readonly code: number; readonly subcode: number };

interface Case {
  readonly name: string;
  /** The malformed UPDATE for P (10.<100+n>.1.0/24), from peer n (127.0.10.<10+n>). */
  readonly bytes: (n: number, p: number[]) => Uint8Array;
  readonly outcome: Outcome;
}

const WITHDRAW = { kind: 'withdraw' } as const;
const CASES: readonly Case[] = [
  // RFC 7606 §7.1-7.3: well-known attributes of the wrong length or value.
  { name: 'ORIGIN of length 2 (§7.1)', bytes: (n, p) => update([0x40, 1, 2, 0, 0, ...AS_PATH, ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'ORIGIN value 3 (§7.1)', bytes: (n, p) => update([0x40, 1, 1, 3, ...AS_PATH, ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'NEXT_HOP of length 5 (§7.3)', bytes: (n, p) => update([...ORIGIN, ...AS_PATH, 0x40, 3, 5, 127, 0, 10, n, 0], p), outcome: WITHDRAW },
  { name: 'NEXT_HOP 0.0.0.0 (§7.3, RFC 4271 §6.3)', bytes: (_n, p) => update([...ORIGIN, ...AS_PATH, 0x40, 3, 4, 0, 0, 0, 0], p), outcome: WITHDRAW },
  { name: 'NEXT_HOP 224.0.0.5, multicast (§7.3)', bytes: (_n, p) => update([...ORIGIN, ...AS_PATH, 0x40, 3, 4, 224, 0, 0, 5], p), outcome: WITHDRAW },
  { name: 'NEXT_HOP our own address: ignored, no NOTIFICATION (RFC 4271 §6.3)', bytes: (_n, p) => update([...ORIGIN, ...AS_PATH, ...nextHop(1)], p), outcome: WITHDRAW },
  // §7.2: AS_PATH.
  { name: 'AS_PATH segment overrun', bytes: (n, p) => update([...ORIGIN, 0x40, 2, 6, 2, 2, ...u32(PEER_AS), ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'AS_PATH segment of length 0', bytes: (n, p) => update([...ORIGIN, 0x40, 2, 2, 2, 0, ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'AS_PATH segment type 7', bytes: (n, p) => update([...ORIGIN, 0x40, 2, 6, 7, 1, ...u32(PEER_AS), ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'AS_PATH with one octet left over (underrun)', bytes: (n, p) => update([...ORIGIN, 0x40, 2, 7, 2, 1, ...u32(PEER_AS), 0, ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'AS_CONFED_SEQUENCE from an eBGP peer (RFC 5065 §5)', bytes: (n, p) => update([...ORIGIN, 0x40, 2, 12, 3, 1, ...u32(65100), 2, 1, ...u32(PEER_AS), ...nextHop(n)], p), outcome: WITHDRAW },
  // §3 c, d, §4: flags, missing mandatory attributes, lengths that overrun.
  { name: 'NEXT_HOP with the Optional bit (flags error, §3 c)', bytes: (n, p) => update([...ORIGIN, ...AS_PATH, 0xc0, 3, 4, 127, 0, 10, n], p), outcome: WITHDRAW },
  { name: 'NEXT_HOP missing (§3 d)', bytes: (_n, p) => update([...ORIGIN, ...AS_PATH], p), outcome: WITHDRAW },
  { name: 'ORIGIN missing (§3 d)', bytes: (n, p) => update([...AS_PATH, ...nextHop(n)], p), outcome: WITHDRAW },
  { name: 'the last attribute overruns the attribute area (§4)', bytes: (n, p) => update([...GOOD(n), 0xc0, 8, 16, 0, 0, 0], p), outcome: WITHDRAW },
  { name: 'fewer than 3 octets left for an attribute header (§4)', bytes: (n, p) => update([...GOOD(n), 0xc0, 8], p), outcome: WITHDRAW },
  { name: 'MULTI_EXIT_DISC of length 3 (§7.4)', bytes: (n, p) => update([...GOOD(n), 0x80, 4, 3, 0, 0, 0], p), outcome: WITHDRAW },
  { name: 'COMMUNITIES of length 3 (§7.8)', bytes: (n, p) => update([...GOOD(n), 0xc0, 8, 3, 0, 0, 0], p), outcome: WITHDRAW },
  { name: 'LARGE_COMMUNITY of length 8 (RFC 8092 §6)', bytes: (n, p) => update([...GOOD(n), 0xc0, 32, 8, 0, 0, 0, 0, 0, 0, 0, 0], p), outcome: WITHDRAW },
  // Attribute discard: the route is taken, the attribute is not.
  {
    name: 'ORIGIN twice: the first is kept (§3 g)', bytes: (n, p) => update([...GOOD(n), 0x40, 1, 1, 2], p),
    outcome: { kind: 'discard', check: (r) => (r.origin === 'IGP' ? null : `origin ${r.origin}, expected the first (IGP)`) },
  },
  { name: 'an unrecognised attribute twice: the first is kept (§3 g)', bytes: (n, p) => update([...GOOD(n), 0xc0, 0x63, 1, 0xee, 0xc0, 0x63, 2, 0xaa, 0xbb], p), outcome: { kind: 'discard' } },
  {
    name: 'LOCAL_PREF from an eBGP peer is discarded (§7.5)', bytes: (n, p) => update([...GOOD(n), 0x40, 5, 4, 0, 0, 0, 200], p),
    outcome: { kind: 'discard', check: (r) => (r.localPref === undefined ? null : `LOCAL_PREF ${r.localPref} kept`) },
  },
  { name: 'ATOMIC_AGGREGATE of length 1 (§7.6)', bytes: (n, p) => update([...GOOD(n), 0x40, 6, 1, 0], p), outcome: { kind: 'discard' } },
  { name: 'AGGREGATOR of length 5 (§7.7)', bytes: (n, p) => update([...GOOD(n), 0xc0, 7, 5, 0, 0, 0, 0, 0], p), outcome: { kind: 'discard' } },
  // Session reset: the NLRI cannot be found or trusted.
  { name: 'MP_REACH_NLRI twice (§3 g): Malformed Attribute List', bytes: (n, p) => update([...GOOD(n), ...MP_REACH_V6(16), ...MP_REACH_V6(16)], p), outcome: { kind: 'reset', code: 3, subcode: 1 } },
  { name: 'MP_REACH_NLRI too short for AFI/SAFI (§7.11): Optional Attribute Error', bytes: (n, p) => update([...GOOD(n), 0x80, 14, 2, 0, 2], p), outcome: { kind: 'reset', code: 3, subcode: 9 } },
  { name: 'MP_UNREACH_NLRI with the Transitive bit (flags error of an MP attribute, §3 c)', bytes: (n, p) => update([...GOOD(n), 0xc0, 15, 3, 0, 2, 1], p), outcome: { kind: 'reset', code: 3, subcode: 4 } },
  { name: 'an NLRI prefix length of 33 (§5.3): Invalid Network Field', bytes: (n) => update(GOOD(n), [33, 10, 1, 1, 1, 1]), outcome: { kind: 'reset', code: 3, subcode: 10 } },
];

describe('malformed UPDATEs on a live session (RFC 7606)', () => {
  let port = 0;
  const s = new BgpSpeaker({ convergeTimeoutMs: 1000, notifyDelayMs: 5 });
  const raw: RawPeer[] = [];
  const N = CASES.length;
  const addr = (n: number): string => `127.0.10.${10 + n}`;
  const RECEIVER = '127.0.10.200';
  let receiver: RawPeer;

  before(async () => {
    port = await freePort();
    await s.setConfig({ routerId: SPEAKER, asNumber: 64512, listenPort: port, listenAddress: SPEAKER });
    // Learned routes in 10.0.0.0/8 are passed on: the receiver sees what the speaker kept.
    s.setExports([], ['10.0.0.0/8']);
    const peers: PeerSpec[] = Array.from({ length: N + 3 }, (_, n) => ({
      name: `Global_${addr(n).replace(/\./g, '_')}`, type: 'global', address: addr(n), asNumber: PEER_AS, passive: true, errorWait: [1, 1],
    }));
    peers.push({ name: 'Global_127_0_10_200', type: 'global', address: RECEIVER, asNumber: RECEIVER_AS, passive: true, errorWait: [1, 1] });
    s.setPeers(peers);
    receiver = new RawPeer({ host: SPEAKER, port, localAddress: RECEIVER, as: RECEIVER_AS, routerId: RECEIVER, holdTime: 0 });
    raw.push(receiver);
    await receiver.establish();
  });
  after(async () => { for (const p of raw) p.close(); await s.stop(); });

  const learned = (from: string): string[] => s.learnedRoutes().filter((r) => r.peer === from).map((r) => r.prefix);
  const status = (a: string) => s.status().peers.find((p) => p.address === a)!;
  async function session(n: number, families?: Array<{ afi: number; safi: number }>): Promise<RawPeer> {
    const p = new RawPeer({ host: SPEAKER, port, localAddress: addr(n), as: PEER_AS, routerId: addr(n), holdTime: 0, ...(families ? { families } : {}) });
    raw.push(p);
    await p.establish();
    return p;
  }

  CASES.forEach((c, n) => {
    it(`${c.name}: ${c.outcome.kind === 'reset' ? `NOTIFICATION ${c.outcome.code}/${c.outcome.subcode}, reset` : c.outcome.kind}`, async () => {
      const a = addr(n);
      const [P, Q, R] = [1, 2, 3].map((i) => `10.${100 + n}.${i}.0/24`) as [string, string, string];
      const pBytes = [24, 10, 100 + n, 1];
      const p = await session(n);
      p.send(announce4(PEER_AS, a, [P]));
      p.send(announce4(PEER_AS, a, [Q]));
      assert.notEqual(await within(20_000, () => learned(a).length === 2, 10), null, 'P and Q are in');
      p.raw(c.bytes(10 + n, pBytes));
      p.send(announce4(PEER_AS, a, [R]));
      const o = c.outcome;
      if (o.kind === 'reset') {
        const note = await p.notification();
        assert.deepEqual([note?.code, note?.subcode], [o.code, o.subcode], 'the NOTIFICATION');
        assert.ok(await p.waitClosed(), 'the connection closed');
        assert.notEqual(await within(20_000, () => learned(a).length === 0, 10), null, 'its routes gone');
        assert.match(status(a).info, /BGP Error: UPDATE Message Error/);
        return;
      }
      assert.notEqual(await within(20_000, () => learned(a).includes(R) || p.closed, 10), null);
      assert.ok(!p.closed, 'the session lives');
      assert.equal(p.received.find((m) => m.type === 'notification'), undefined, 'no NOTIFICATION');
      assert.equal(status(a).state, 'up');
      const l = learned(a);
      assert.ok(l.includes(Q), 'Q, from the same peer, stays');
      if (o.kind === 'withdraw') {
        assert.ok(!l.includes(P), `P was withdrawn: ${l.join(' ')}`);
        return;
      }
      assert.ok(l.includes(P), 'P stays (only an attribute was dropped)');
      const route = s.routes().find((r) => r.prefix === P)!;
      const why = o.check?.(route) ?? null;
      assert.equal(why, null);
    });
  });

  it('AFI/SAFI disable (RFC 7606 §7.11, RFC 4760 §7): IPv6 routes of the peer go and later ones are ignored; IPv4 goes on', async () => {
    const n = N;
    const a = addr(n);
    const fams = [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }];
    const p = await session(n, fams);
    p.send(announce4(PEER_AS, a, ['10.250.1.0/24']));
    p.send(announce6(PEER_AS, 'fd00:66::9', ['fd00:66:1::/64']));
    assert.notEqual(await within(20_000, () => learned(a).length === 2, 10), null);
    // MP_REACH for IPv6 with a next hop of 5 octets: its family is known, its NLRI cannot be trusted.
    p.raw(update([...ORIGIN, ...AS_PATH, ...MP_REACH_V6(5)], []));
    p.send(announce6(PEER_AS, 'fd00:66::9', ['fd00:66:2::/64']));
    p.send(announce4(PEER_AS, a, ['10.250.2.0/24']));
    assert.notEqual(await within(20_000, () => learned(a).includes('10.250.2.0/24') || p.closed, 10), null);
    assert.ok(!p.closed && p.received.every((m) => m.type !== 'notification'), 'no reset');
    assert.deepEqual(learned(a).sort(), ['10.250.1.0/24', '10.250.2.0/24'], 'IPv6 routes gone, the later IPv6 route ignored, IPv4 kept');
    assert.deepEqual([status(a).state, status(a).disabledFamilies], ['up', ['IPv6 unicast']]);
  });

  it('routes of a family the session did not negotiate are ignored', async () => {
    const n = N + 1;
    const a = addr(n);
    const p = await session(n); // IPv4 unicast only
    p.send(announce6(PEER_AS, 'fd00:67::9', ['fd00:67:1::/64']));
    p.send(announce4(PEER_AS, a, ['10.251.1.0/24']));
    assert.notEqual(await within(20_000, () => learned(a).length > 0, 10), null);
    assert.deepEqual(learned(a), ['10.251.1.0/24']);
  });

  it('an unrecognised optional transitive attribute is passed on with the Partial bit (RFC 4271 §5, §9.1.3)', async () => {
    const n = N + 2;
    const a = addr(n);
    const p = await session(n);
    p.raw(update([...GOOD(10 + n), 0xc0, 0x63, 2, 0xca, 0xfe], [24, 10, 252, 1]));
    const got = await receiver.until((m) => m.type === 'update' && m.nlri.some((x) => x.address === 0x0afc0100n));
    assert.ok(got && got.type === 'update', `the receiver got 10.252.1.0/24 from ${a}`);
    assert.deepEqual(got.attributes.unknown, [{ code: 0x63, flags: 0xe0, value: Uint8Array.from([0xca, 0xfe]) }], 'Optional, Transitive and Partial');
    // And the attribute that came twice (an earlier case) went on once, as first received.
    const twice = receiver.received.find((m) => m.type === 'update' && m.attributes.unknown?.some((x) => x.value[0] === 0xee));
    assert.ok(twice && twice.type === 'update');
    assert.deepEqual(twice.attributes.unknown, [{ code: 0x63, flags: 0xe0, value: Uint8Array.from([0xee]) }]);
  });
});
