// The max-prefix limit on live sessions (hand-driven peers on loopback): one path over the limit
// of a family and the speaker sends exactly RFC 4486's Cease, drops the peer's routes, refuses it
// for the hold-down (or for good with the Disable action) and says why in its status — while a
// second, well-behaved peer's session and routes are never touched. The last test takes the limit
// from a BGPPeer resource through the agent's plan (src/calc/bgp-config.ts) into the speaker.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/support/free-port.js';
import { within } from '../../../test/support/within.js';
import { bgpPlan, ClusterState, type KeyUpdate } from '../../calc/index.js';
import { kindByKind, resourceKey, validateDocument } from '../../model/index.js';
import { fromHex, hex } from '../codec/index.js';
import { BgpSpeaker, type LearnedChange, type PeerSpec } from './index.js';
import { RawPeer } from './_raw-peer.js';
import { announce4, announce6, watch, type Watch } from './_watch.js';

const SPEAKER = '127.0.12.1';
const PEER_AS = 65001;
const HOLD_DOWN = 2;

/** RFC 4486 §4: Cease (6), subcode 1, data = AFI (2 octets), SAFI (1), the limit (4). */
const ceaseBytes = (afi: number, safi: number, limit: number): string =>
  hex(fromHex(`${'ff'.repeat(16)}001c03 0601 ${afi.toString(16).padStart(4, '0')}${safi.toString(16).padStart(2, '0')}${limit.toString(16).padStart(8, '0')}`));
const NOTIFICATION = 3;

describe('max-prefix on a live session (RFC 4486)', () => {
  let port = 0;
  const s = new BgpSpeaker({ convergeTimeoutMs: 1000, notifyDelayMs: 5 });
  const raw: RawPeer[] = [];
  const changes: Array<{ at: number; change: LearnedChange }> = [];
  const spec = (n: number, patch: Partial<PeerSpec> = {}): PeerSpec => ({
    name: `Global_127_0_12_${n}`, type: 'global', address: `127.0.12.${n}`, asNumber: PEER_AS, passive: true, errorWait: [1, 1], ...patch,
  });
  const specs = [
    spec(2, { maxPrefixes: 3, maxPrefixesRestartTime: HOLD_DOWN }),
    spec(3),
    spec(4, { maxPrefixes: 2, maxPrefixesAction: 'disable' }),
    spec(5, { maxPrefixes: 2, maxPrefixesRestartTime: 60 }),
  ];
  const rawPeer = (n: number, patch: Partial<ConstructorParameters<typeof RawPeer>[0]> = {}): RawPeer => {
    const p = new RawPeer({ host: SPEAKER, port, localAddress: `127.0.12.${n}`, as: PEER_AS, routerId: `127.0.12.${n}`, ...patch });
    raw.push(p);
    return p;
  };
  const learned = (from?: string): string[] => s.learnedRoutes().filter((r) => from === undefined || r.peer === from).map((r) => r.prefix);
  const status = (n: number) => s.status().peers.find((p) => p.address === `127.0.12.${n}`)!;
  const notificationHex = (p: RawPeer): string | undefined => { const f = p.frames.find((b) => b[18] === NOTIFICATION); return f && hex(f); };

  // The well-behaved peer: established before anything else, watched until the end.
  const STABLE = ['10.93.0.0/24', '10.93.1.0/24'];
  let stable: RawPeer;
  let stableWatch: Watch;

  before(async () => {
    port = await freePort();
    await s.setConfig({ routerId: SPEAKER, asNumber: 64512, listenPort: port, listenAddress: SPEAKER });
    s.onLearnedChanges((cs) => { for (const change of cs) changes.push({ at: performance.now(), change }); });
    s.setPeers(specs);
    stable = rawPeer(3, { holdTime: 0 });
    await stable.establish();
    stable.send(announce4(PEER_AS, '127.0.12.3', STABLE));
    assert.notEqual(await within(20_000, () => learned('127.0.12.3').length === 2, 10), null, 'the stable peer\'s routes are in');
    const since = status(3).since;
    const seen = changes.length;
    // Established all along (never re-established: `since` unchanged), its routes in the Loc-RIB,
    // and no change of its prefixes ever handed on towards the kernel (the learned-change stream).
    stableWatch = watch(() => {
      const st = status(3);
      if (st.state !== 'up' || st.since !== since) return `the stable session went ${st.bgpState} (${st.info})`;
      const l = learned('127.0.12.3');
      if (STABLE.some((p) => !l.includes(p))) return `the stable peer's routes left the Loc-RIB: ${l.join(' ')}`;
      const touched = changes.slice(seen).find((c) => STABLE.includes(c.change.prefix));
      if (touched) return `a learned-route change for ${touched.change.prefix}`;
      if (stable.closed || stable.received.some((m) => m.type === 'notification')) return 'the stable peer got a NOTIFICATION or lost its connection';
      return null;
    });
  });
  after(async () => { await stableWatch?.stop(); for (const p of raw) p.close(); await s.stop(); });

  let heldAt = 0;
  it('one prefix over the limit: Cease 6/1 with AFI 1, SAFI 1 and the limit, byte for byte; the peer\'s routes go; the status says why', async () => {
    const p = rawPeer(2, { holdTime: 0 });
    await p.establish();
    p.send(announce4(PEER_AS, '127.0.12.2', ['10.92.0.0/24', '10.92.1.0/24', '10.92.2.0/24']));
    assert.notEqual(await within(20_000, () => learned('127.0.12.2').length === 3, 10), null, 'at the limit: all three taken');
    assert.equal(status(2).state, 'up', 'and the session lives');
    assert.equal(notificationHex(p), undefined);
    p.send(announce4(PEER_AS, '127.0.12.2', ['10.92.3.0/24']));
    assert.ok(await p.waitClosed(), 'the speaker closed the connection');
    // The speaker's own time of the limit: when the session went Idle (the hold-down is armed in
    // the same step), as its status says.
    heldAt = Date.parse(status(2).since);
    assert.equal(notificationHex(p), ceaseBytes(1, 1, 3), 'the NOTIFICATION, byte for byte');
    assert.deepEqual(learned('127.0.12.2'), [], 'none of its routes in the Loc-RIB');
    assert.ok(!s.routes().some((r) => r.from === '127.0.12.2'));
    // Towards the kernel: every prefix it announced was handed on as gone (null as its last change).
    const lastOf = (pfx: string): LearnedChange['route'] | undefined => changes.findLast((c) => c.change.prefix === pfx)?.change.route;
    const offended = ['10.92.0.0/24', '10.92.1.0/24', '10.92.2.0/24', '10.92.3.0/24'];
    assert.notEqual(await within(5000, () => offended.every((x) => lastOf(x) === null), 10), null,
      `withdrawn towards the kernel: ${JSON.stringify(offended.map((x) => [x, lastOf(x)?.nextHop ?? lastOf(x)]))}`);
    const st = status(2);
    assert.match(st.info, /^Idle max-prefix 3 exceeded \(IPv4 unicast\); retry in [12] s$/, st.info);
    assert.match(st.lastError ?? '', /Cease\/Maximum Number of Prefixes Reached \(data 00010100000003\)/);
    assert.deepEqual([st.state, st.prefixes.accepted, st.maxPrefixHits], ['start', 0, 1]);
  });

  it(`the offender is refused for the ${HOLD_DOWN} s hold-down, then let back in`, async () => {
    assert.ok(heldAt > 0, 'runs after the limit was hit');
    let refused = 0;
    let back: RawPeer | undefined;
    while (Date.now() - heldAt < HOLD_DOWN * 1000 + 10_000) {
      const p = rawPeer(2, { holdTime: 0 });
      if (await p.tryEstablish(5000)) { back = p; break; }
      refused++;
      p.close();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(back, 'let back in within 10 s of the hold-down\'s end');
    // Both times are the speaker's own (state changes, wall clock in whole ms; the hold-down runs
    // on the monotonic clock: 2 ms slack), so a busy test loop cannot skew them.
    const st = status(2);
    const after = Date.parse(st.since) - heldAt;
    assert.equal(st.info, 'Established');
    assert.ok(after >= HOLD_DOWN * 1000 - 2, `back after ${after} ms, before the ${HOLD_DOWN} s hold-down ended`);
    assert.ok(refused > 0, 'connections were refused meanwhile');
    back.send(announce4(PEER_AS, '127.0.12.2', ['10.92.0.0/24']));
    assert.notEqual(await within(20_000, () => learned('127.0.12.2').length === 1, 10), null, 'its routes are taken again');
    back.close();
    assert.notEqual(await within(20_000, () => learned('127.0.12.2').length === 0, 10), null);
  });

  it('Disable: after the limit no reconnection at all, until the peer is reconfigured', async () => {
    const p = rawPeer(4, { holdTime: 0 });
    await p.establish();
    p.send(announce4(PEER_AS, '127.0.12.4', ['10.94.0.0/24', '10.94.1.0/24', '10.94.2.0/24']));
    assert.ok(await p.waitClosed());
    assert.equal(notificationHex(p), ceaseBytes(1, 1, 2));
    assert.deepEqual(learned('127.0.12.4'), []);
    assert.equal(status(4).info, 'Idle max-prefix 2 exceeded (IPv4 unicast); disabled until the peer is reconfigured');
    // Longer than the (1 s) error wait, all refused.
    const start = performance.now();
    let tries = 0;
    while (performance.now() - start < 2500) {
      const q = rawPeer(4, { holdTime: 0 });
      assert.equal(await q.tryEstablish(5000), false, `attempt ${tries + 1} was let in`);
      q.close();
      tries++;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(tries >= 5);
    s.setPeers(specs.map((x) => (x.address === '127.0.12.4' ? { ...x, maxPrefixes: 10 } : x)));
    let ok = false;
    assert.notEqual(await within(10_000, async () => {
      const q = rawPeer(4, { holdTime: 0 });
      ok = await q.tryEstablish(5000);
      q.close();
      return ok;
    }, 50), null, 'reconfigured: the session comes up again');
  });

  it('the limit is per address family: IPv6 counted apart, and the Cease names AFI 2', async () => {
    const fams = [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }];
    const p = rawPeer(5, { holdTime: 0, families: fams });
    await p.establish();
    p.send(announce4(PEER_AS, '127.0.12.5', ['10.95.0.0/24', '10.95.1.0/24']));
    p.send(announce6(PEER_AS, 'fd00:95::5', ['fd00:95:1::/64', 'fd00:95:2::/64']));
    assert.notEqual(await within(20_000, () => learned('127.0.12.5').length === 4, 10), null, 'two of each family: at the limit, taken');
    assert.equal(status(5).state, 'up');
    p.send(announce6(PEER_AS, 'fd00:95::5', ['fd00:95:3::/64']));
    assert.ok(await p.waitClosed());
    assert.equal(notificationHex(p), ceaseBytes(2, 1, 2));
    assert.deepEqual(learned('127.0.12.5'), []);
    assert.match(status(5).info, /^Idle max-prefix 2 exceeded \(IPv6 unicast\); retry in (59|60) s$/);
  });

  it('all along: the well-behaved peer\'s session stayed Established and its routes never moved', async () => {
    const problem = await stableWatch.stop();
    assert.equal(problem, null);
    assert.ok(stableWatch.looks > 50, `watched ${stableWatch.looks} times`);
  });
});

describe('max-prefix from a BGPPeer resource', () => {
  const s = new BgpSpeaker({ convergeTimeoutMs: 1000, notifyDelayMs: 5 });
  let p: RawPeer | undefined;
  after(async () => { p?.close(); await s.stop(); });

  it('BGPPeer maxPrefixes / maxPrefixesRestartTime → the agent\'s plan → the speaker enforces them', async () => {
    const res = (kind: string, name: string, spec: Record<string, unknown>): KeyUpdate => {
      const v = validateDocument({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name }, spec });
      assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
      return { key: resourceKey(kindByKind(kind)!, name), value: v.resource };
    };
    const state = new ClusterState();
    state.apply([
      res('Node', 'tt-n1', { bgp: { ipv4Address: '127.0.13.1/24' } }),
      res('BGPPeer', 'tt-tor', { peerIP: '127.0.13.2', asNumber: PEER_AS, maxPrefixes: 2, maxPrefixesRestartTime: '7s' }),
    ]);
    const plan = bgpPlan(state, 'tt-n1')!;
    const port = await freePort();
    await s.setConfig({ ...plan.config, listenPort: port, listenAddress: plan.config.routerId });
    // As AgentBgp.sync hands them over (no password here); the peer waits for our hand-driven one.
    s.setPeers(plan.peers.map(({ passwordRef: _, ...rest }) => ({ ...rest, passive: true })));
    p = new RawPeer({ host: '127.0.13.1', port, localAddress: '127.0.13.2', as: PEER_AS, routerId: '127.0.13.2', holdTime: 0 });
    await p.establish();
    p.send(announce4(PEER_AS, '127.0.13.2', ['10.96.0.0/24', '10.96.1.0/24', '10.96.2.0/24']));
    assert.ok(await p.waitClosed());
    const f = p.frames.find((b) => b[18] === NOTIFICATION);
    assert.equal(f && hex(f), ceaseBytes(1, 1, 2));
    assert.match(s.status().peers[0]!.info, /^Idle max-prefix 2 exceeded \(IPv4 unicast\); retry in [67] s$/);
    assert.equal(s.learnedRoutes().length, 0);
  });
});
