// Hostile input to a live session (a hand-driven peer on loopback): each malformed message is
// answered as RFC 4271 §6 / RFC 7606 say — a NOTIFICATION and a reset, or treat-as-withdraw with
// the session kept — and the speaker stays up and keeps serving its other peers.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/support/free-port.js';
import { within } from '../../../test/support/within.js';
import { BgpSpeaker } from './index.js';
import { RawPeer } from './_raw-peer.js';

const SPEAKER = '127.0.9.1';
const PEER_AS = 65001;

/** An UPDATE from raw attribute bytes and NLRI bytes (4-octet AS session). */
function update(attrs: number[], nlri: number[] = [24, 10, 80, 1], withdrawnLength?: number): Uint8Array {
  const body = [0, withdrawnLength ?? 0, (attrs.length >> 8) & 255, attrs.length & 255, ...attrs, ...nlri];
  const len = 19 + body.length;
  return Uint8Array.from([...new Array<number>(16).fill(255), len >> 8, len & 255, 2, ...body]);
}
const ORIGIN = [0x40, 1, 1, 0];
const asPath = (...asns: number[]): number[] => [0x40, 2, 2 + 4 * asns.length, 2, asns.length, ...asns.flatMap((a) => [a >>> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255])];
const nextHop = (last: number): number[] => [0x40, 3, 4, 127, 0, 9, last];

describe('hostile input to a live session', () => {
  let port = 0;
  const s = new BgpSpeaker({ convergeTimeoutMs: 1000, notifyDelayMs: 5 });
  const peers: RawPeer[] = [];
  before(async () => {
    port = await freePort();
    await s.setConfig({ routerId: SPEAKER, asNumber: 64512, listenPort: port, listenAddress: SPEAKER });
    s.setExports(['10.65.0.0/26']);
    s.setPeers(Array.from({ length: 10 }, (_, i) => ({
      name: `Global_127_0_9_${10 + i}`, type: 'global' as const, address: `127.0.9.${10 + i}`, asNumber: PEER_AS, passive: true, errorWait: [1, 1] as const,
    })));
  });
  after(async () => { for (const p of peers) p.close(); await s.stop(); });

  const session = async (n: number): Promise<RawPeer> => {
    const p = new RawPeer({ host: SPEAKER, port, localAddress: `127.0.9.${10 + n}`, as: PEER_AS, routerId: `127.0.9.${10 + n}` });
    peers.push(p);
    await p.establish();
    return p;
  };
  const learned = (): string[] => s.learnedRoutes().map((r) => r.prefix);

  /** A reset case: the expected NOTIFICATION, the connection closed, the speaker alive. */
  async function resets(n: number, bytes: Uint8Array, code: number, subcode: number): Promise<void> {
    const p = await session(n);
    p.raw(bytes);
    const note = await p.notification();
    assert.ok(note, 'a NOTIFICATION came back');
    assert.deepEqual([note.code, note.subcode], [code, subcode]);
    assert.ok(await p.waitClosed(), 'and the connection was closed');
    const st = s.status().peers.find((x) => x.address === `127.0.9.${10 + n}`)!;
    assert.match(st.info, /BGP Error/);
  }

  it('a bad marker: Message Header Error / Connection Not Synchronized (1/1)', async () => {
    const b = update([...ORIGIN, ...asPath(PEER_AS), ...nextHop(10)]);
    b[3] = 0;
    await resets(0, b, 1, 1);
  });

  it('a length shorter than a header: Bad Message Length (1/2)', async () => {
    const b = Uint8Array.from([...new Array<number>(16).fill(255), 0, 18, 4]);
    await resets(1, b, 1, 2);
  });

  it('an oversized message (5000 octets without extended messages): Bad Message Length (1/2) with the length as data', async () => {
    const b = new Uint8Array(5000).fill(0);
    b.fill(255, 0, 16); b[16] = 5000 >> 8; b[17] = 5000 & 255; b[18] = 2;
    const p = await session(2);
    p.raw(b);
    const note = await p.notification();
    assert.deepEqual([note?.code, note?.subcode, [...(note?.data ?? [])]], [1, 2, [5000 >> 8, 5000 & 255]]);
  });

  it('a truncated UPDATE (withdrawn length past the end): UPDATE Message Error / Malformed Attribute List (3/1)', async () => {
    await resets(3, update([], [], 200), 3, 1);
  });

  it('an unrecognised well-known attribute: UPDATE Message Error / Unrecognized Well-known Attribute (3/2)', async () => {
    await resets(4, update([...ORIGIN, ...asPath(PEER_AS), ...nextHop(14), 0x40, 99, 1, 0]), 3, 2);
  });

  it('bad attribute flags on ORIGIN: treat-as-withdraw (RFC 7606 §3 c) — no reset, the route not taken, the session goes on', async () => {
    const p = await session(5);
    p.raw(update([0xc0, 1, 1, 0, ...asPath(PEER_AS), ...nextHop(15)], [24, 10, 85, 1]));
    p.raw(update([...ORIGIN, ...asPath(PEER_AS), ...nextHop(15)], [24, 10, 85, 2]));
    // A session's messages are handled in order: once the good UPDATE is in, the bad one was handled.
    assert.notEqual(await within(20_000, () => learned().includes('10.85.2.0/24'), 20), null, 'the next good UPDATE is accepted: the session lives');
    assert.ok(!learned().includes('10.85.1.0/24'), 'not accepted');
    assert.equal(s.status().peers.find((x) => x.address === '127.0.9.15')!.state, 'up');
    // A ROUTE-REFRESH round trip: whatever the speaker sent before its EoRR has arrived.
    p.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
    assert.ok(await p.until((m) => m.type === 'route-refresh' && m.subtype === 2), 'EoRR arrived');
    assert.equal(p.received.find((m) => m.type === 'notification'), undefined, 'no NOTIFICATION');
  });

  it('an AS_PATH loop (our own AS in an eBGP path): the route is refused, the session goes on', async () => {
    const p = await session(6);
    p.raw(update([...ORIGIN, ...asPath(PEER_AS, 64512, 65003), ...nextHop(16)], [24, 10, 86, 1]));
    p.raw(update([...ORIGIN, ...asPath(PEER_AS, 65003), ...nextHop(16)], [24, 10, 86, 2]));
    // In order: once the second is in, the looped one was handled.
    assert.notEqual(await within(20_000, () => learned().includes('10.86.2.0/24'), 20), null, 'the good UPDATE is accepted');
    assert.ok(!learned().includes('10.86.1.0/24'), 'the looped path is not in the Loc-RIB');
    const st = s.status().peers.find((x) => x.address === '127.0.9.16')!;
    assert.deepEqual([st.state, st.prefixes.received, st.prefixes.accepted], ['up', 2, 1]);
  });

  it('answers a ROUTE-REFRESH with its Adj-RIB-Out between BoRR and EoRR (RFC 7313)', async () => {
    const p = await session(7);
    await p.until((m) => m.type === 'update' && m.nlri.length > 0);
    p.received.length = 0;
    p.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
    const eorr = await p.until((m) => m.type === 'route-refresh' && m.subtype === 2);
    assert.ok(eorr, 'EoRR arrived');
    const kinds = p.received.map((m) => (m.type === 'route-refresh' ? `rr${m.subtype}` : m.type === 'update' ? `update ${m.nlri.length}` : m.type));
    assert.deepEqual(kinds.filter((k) => k !== 'keepalive'), ['rr1', 'update 1', 'rr2']);
  });

  it('after all that the speaker is up: a new peer establishes and learns our block', async () => {
    const p = await session(8);
    const u = await p.until((m) => m.type === 'update' && m.nlri.length > 0);
    assert.ok(u && u.type === 'update');
    assert.equal(u.nlri.length, 1);
    assert.equal(u.attributes.nextHop, SPEAKER);
    assert.deepEqual(u.attributes.asPath, [{ type: 'sequence', asns: [64512] }], 'eBGP: our AS prepended');
  });
});
