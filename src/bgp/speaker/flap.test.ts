// A peer that flaps: it connects, establishes, sends a few routes and drops the TCP connection,
// 100 times as fast as the speaker lets it (hand-driven peers on loopback) — once without and once
// with the graceful-restart capability. Checked: a second, stable peer stays Established with its
// routes in the Loc-RIB all along; the flapper never holds more than one session's routes; the
// speaker's sockets, timers and interned attribute sets return to where they were; at the end the
// flapper has no route left (with graceful restart: its routes stay stale for its restart time,
// then go). And DampPeerOscillations (RFC 4271 §8.1.1): each drop doubles the idle hold
// (BIRD's `error wait time`) during which the speaker refuses the peer's connections.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../../test/support/free-port.js';
import { holdsFor, within } from '../../../test/support/within.js';
import { endOfRib, type GracefulRestartCapability } from '../codec/index.js';
import type { Clock, TimerHandle } from '../fsm/index.js';
import type { Rib } from '../rib/index.js';
import { BgpSpeaker, RealClock, type LearnedChange, type PeerSpec } from './index.js';
import { RawPeer } from './_raw-peer.js';
import { announce4, watch, type Watch } from './_watch.js';

const SPEAKER = '127.0.11.1';
const PEER_AS = 65001;
const FLAPS = 100;
const RESTART_TIME = 2;

/** RealClock, counting the timers armed through it (the FSM's and graceful restart's). */
class CountingClock implements Clock {
  private readonly inner = new RealClock();
  readonly armed = new Set<number>();
  now(): number { return this.inner.now(); }
  setTimer(ms: number, fire: () => void): TimerHandle {
    const h: TimerHandle = this.inner.setTimer(ms, () => { this.armed.delete(h.id); fire(); });
    this.armed.add(h.id);
    return h;
  }
  clearTimer(h: TimerHandle): void { this.armed.delete(h.id); this.inner.clearTimer(h); }
}

const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('a peer flapping 100 times', () => {
  let port = 0;
  const clock = new CountingClock();
  const s = new BgpSpeaker({ convergeTimeoutMs: 1000, notifyDelayMs: 5, clock });
  const raw: RawPeer[] = [];
  const changes: LearnedChange[] = [];
  const spec = (n: number, patch: Partial<PeerSpec> = {}): PeerSpec => ({
    name: `Global_127_0_11_${n}`, type: 'global', address: `127.0.11.${n}`, asNumber: PEER_AS, passive: true, ...patch,
  });
  const learned = (from: string): string[] => s.learnedRoutes().filter((r) => r.peer === from).map((r) => r.prefix);
  const status = (a: string) => s.status().peers.find((p) => p.address === a)!;
  const ribSources = (): number => (s as unknown as { rib: Rib }).rib.sourceCount;

  const STABLE = ['10.90.0.0/24', '10.90.1.0/24'];
  let stableWatch: Watch;

  before(async () => {
    port = await freePort();
    await s.setConfig({ routerId: SPEAKER, asNumber: 64512, listenPort: port, listenAddress: SPEAKER });
    s.onLearnedChanges((cs) => changes.push(...cs));
    s.setPeers([
      spec(2),
      // The flappers: error wait 5 ms doubling to 40 ms, so 100 flaps take seconds, not minutes.
      spec(3, { errorWait: [0.005, 0.04] }),
      spec(4, { errorWait: [0.005, 0.04] }),
      spec(5, { errorWait: [0.1, 0.8] }),
    ]);
    const stable = new RawPeer({ host: SPEAKER, port, localAddress: '127.0.11.2', as: PEER_AS, routerId: '127.0.11.2', holdTime: 0 });
    raw.push(stable);
    await stable.establish();
    stable.send(announce4(PEER_AS, '127.0.11.2', STABLE));
    assert.notEqual(await within(20_000, () => learned('127.0.11.2').length === 2, 10), null);
    const since = status('127.0.11.2').since;
    const seen = changes.length;
    stableWatch = watch(() => {
      const st = status('127.0.11.2');
      if (st.state !== 'up' || st.since !== since) return `the stable session went ${st.bgpState} (${st.info})`;
      const l = learned('127.0.11.2');
      if (STABLE.some((p) => !l.includes(p))) return `the stable routes left the Loc-RIB: ${l.join(' ')}`;
      const touched = changes.slice(seen).find((c) => STABLE.includes(c.prefix));
      if (touched) return `a learned-route change for ${touched.prefix} (towards the kernel)`;
      if (stable.closed || stable.received.some((m) => m.type === 'notification')) return 'the stable peer got a NOTIFICATION or lost its connection';
      return null;
    });
  });
  after(async () => { await stableWatch?.stop(); for (const p of raw) p.close(); await s.stop(); });

  /** One flap: connect (again and again while refused), establish, announce, see the routes taken, drop. */
  async function flapOnce(a: string, i: number, gr?: GracefulRestartCapability): Promise<{ refused: number; upAt: number; downAt: number }> {
    let refused = 0;
    for (;;) {
      const p = new RawPeer({ host: SPEAKER, port, localAddress: a, as: PEER_AS, routerId: a, holdTime: 0, ...(gr ? { gracefulRestart: gr } : {}) });
      if (await p.tryEstablish(5000)) {
        const upAt = performance.now();
        const mine = `10.91.${i % 200}.0/24`;
        p.send(announce4(PEER_AS, a, [mine, '10.91.250.0/24', '10.91.251.0/24']));
        if (gr) p.send(endOfRib(1, 1));
        const taken = await within(10_000, () => learned(a).includes(mine) && (!gr || status(a).stale === 0), 2);
        assert.notEqual(taken, null, `flap ${i}: the routes were taken`);
        p.close();
        return { refused, upAt, downAt: performance.now() };
      }
      refused++;
      p.close();
      if (refused > 2000) assert.fail(`flap ${i}: refused ${refused} times`);
      await sleep(2);
    }
  }

  /**
   * FLAPS flaps from `a`; `afterLast` checks what follows the last drop. Then the speaker must get
   * back to where it was: the flapper's sockets closed on both ends, its timers (idle hold,
   * restart time) run out, its routes and interned attribute sets gone.
   */
  async function flapRun(a: string, gr?: GracefulRestartCapability, afterLast?: (downAt: number) => Promise<void>): Promise<{ ms: number; refused: number }> {
    const base = { sockets: sockets(), timers: clock.armed.size, sources: ribSources() };
    // Never more than one session's routes (3, plus the previous flap's own prefix kept stale until End-of-RIB).
    const bounded = watch(() => (learned(a).length > (gr ? 4 : 3) ? `${learned(a).length} routes from the flapper: ${learned(a).join(' ')}` : null));
    const start = performance.now();
    let refused = 0;
    let downAt = 0;
    let ms = 0;
    try {
      for (let i = 0; i < FLAPS; i++) {
        const f = await flapOnce(a, i, gr);
        refused += f.refused;
        downAt = f.downAt;
      }
      ms = performance.now() - start;
      await afterLast?.(downAt);
    } finally {
      await bounded.stop(); // also when a flap failed: no watcher left running
    }
    assert.equal(await bounded.stop(), null);
    const settled = await within(RESTART_TIME * 1000 + 10_000, () =>
      sockets() === base.sockets && clock.armed.size === base.timers && ribSources() === base.sources && learned(a).length === 0, 20);
    assert.notEqual(settled, null, `not back to the baseline ${JSON.stringify(base)}: sockets ${sockets()}, timers ${clock.armed.size}, sources ${ribSources()}, routes ${learned(a).join(' ')}`);
    assert.ok(refused > 0, 'the idle hold refused some reconnections');
    assert.ok(ms < 60_000, `${FLAPS} flaps in ${Math.round(ms)} ms`);
    return { ms, refused };
  }

  it(`without graceful restart: ${FLAPS} flaps; the flapper's routes go with each session, none left; the speaker back to its baseline`, async (t) => {
    const a = '127.0.11.3';
    const r = await flapRun(a, undefined, async () => {
      assert.notEqual(await within(5000, () => learned(a).length === 0, 2), null, 'the last session\'s routes went with it');
    });
    assert.equal(status(a).prefixes.accepted, 0);
    t.diagnostic(`${FLAPS} flaps without graceful restart in ${Math.round(r.ms)} ms, ${r.refused} connections refused during idle holds`);
  });

  it(`with graceful restart (restart time ${RESTART_TIME} s): stale routes for the restart time after the last flap, then none; the speaker back to its baseline`, async (t) => {
    const a = '127.0.11.4';
    const gr: GracefulRestartCapability = { restarting: false, notification: false, time: RESTART_TIME, families: [{ afi: 1, safi: 1, forwarding: true }] };
    const r = await flapRun(a, gr, async (downAt) => {
      assert.notEqual(await within(5000, () => status(a).stale === 3, 2), null, `kept as stale: ${JSON.stringify(status(a))}`);
      // Until the restart time (counted from when the speaker saw the drop, after `downAt`) less a margin, all three stay.
      assert.ok(await holdsFor(downAt + RESTART_TIME * 1000 - 300 - performance.now(), () => learned(a).length === 3, 10),
        `stale routes gone ${Math.round(performance.now() - downAt)} ms after the drop, before the ${RESTART_TIME} s restart time`);
      assert.notEqual(await within(RESTART_TIME * 1000 + 5000, () => learned(a).length === 0, 10), null, 'flushed when the restart time ran out');
      assert.ok(performance.now() - downAt >= RESTART_TIME * 1000 - 2, 'not before');
    });
    t.diagnostic(`${FLAPS} flaps with graceful restart in ${Math.round(r.ms)} ms, ${r.refused} connections refused during idle holds`);
  });

  it('DampPeerOscillations: each drop doubles the idle hold (0.1, 0.2, 0.4, 0.8, 0.8 s) during which the peer is refused', async (t) => {
    const a = '127.0.11.5';
    const holds = [0.1, 0.2, 0.4, 0.8, 0.8];
    let prev = await flapOnce(a, 0);
    const gaps: number[] = [];
    for (let k = 0; k < holds.length; k++) {
      const f = await flapOnce(a, k + 1);
      gaps.push(f.upAt - prev.downAt);
      prev = f;
    }
    // The speaker sees each drop after we make it, so the gap is at least the idle hold.
    holds.forEach((h, k) => {
      assert.ok(gaps[k]! >= h * 1000 - 2, `flap ${k + 1}: back after ${Math.round(gaps[k]!)} ms, the idle hold is ${h * 1000} ms`);
      assert.ok(gaps[k]! < h * 1000 + 2000, `flap ${k + 1}: back only after ${Math.round(gaps[k]!)} ms (idle hold ${h * 1000} ms)`);
    });
    t.diagnostic(`reconnection gaps (ms): ${gaps.map((g) => Math.round(g)).join(', ')}`);
  });

  it('all along: the stable peer stayed Established and its routes never moved', async () => {
    assert.equal(await stableWatch.stop(), null);
    assert.ok(stableWatch.looks > 100, `watched ${stableWatch.looks} times`);
  });
});
