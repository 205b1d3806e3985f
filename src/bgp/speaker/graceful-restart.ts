// Graceful restart, helper side (RFC 4724 §4.2), for one peer: when an Established session with a
// peer that announced the capability ends without a NOTIFICATION (TCP reset, the peer's process
// killed, a new OPEN while we still think the old session is up), its routes stay — marked stale —
// for the restart time it announced; they are refreshed by the new session and the rest flushed
// at its End-of-RIB, or all flushed when the time runs out.

import { familyKey, IPV4_UNICAST, IPV6_UNICAST, type Negotiated, type OpenMessage } from '../codec/index.js';
import type { TimerHandle } from '../fsm/index.js';
import { DEFAULT_RESTART } from './peer-config.js';
import type { PeerHost } from './peer-host.js';

export class RestartHelper {
  /** Running while the peer restarts: its stale routes go when it fires. */
  private restartTimer: TimerHandle | undefined;
  /** Running after the peer came back: the stale routes it has not refreshed go when it fires. */
  private staleTimer: TimerHandle | undefined;

  constructor(
    private readonly key: string,
    private readonly name: string,
    private readonly host: PeerHost,
    /** The restart time ran out (the routes are gone): a status change. */
    private readonly expired: () => void,
  ) {}

  /**
   * The session came up: stale routes from before the peer restarted are dropped now unless it
   * preserved forwarding for their family; otherwise kept until its End-of-RIB (or a deadline).
   */
  established(open: OpenMessage, n: Negotiated): void {
    const rib = this.host.rib;
    this.clear('restartTimer');
    if (rib.staleCount(this.key) === 0) return;
    const kept = new Set((open.capabilities.gracefulRestart?.families ?? []).filter((f) => f.forwarding).map((f) => familyKey(f.afi, f.safi)));
    for (const fam of [IPV4_UNICAST, IPV6_UNICAST]) if (!kept.has(fam) || !n.families.includes(fam)) this.host.changes(rib.flushStale(this.key, fam));
    const wait = Math.max(open.capabilities.gracefulRestart?.time ?? DEFAULT_RESTART, 30);
    this.clear('staleTimer');
    this.staleTimer = this.host.clock.setTimer(wait * 1000, () => { this.staleTimer = undefined; this.host.changes(rib.flushStale(this.key)); });
  }

  /** The peer's End-of-RIB for every family: what it did not refresh is gone. */
  endOfRib(): void {
    this.clear('staleTimer');
    this.host.changes(this.host.rib.flushStale(this.key));
  }

  /**
   * The Established session ended. Returns true when the peer's routes are kept as stale (it
   * does graceful restart and the session ended without a NOTIFICATION, RFC 4724 — RFC 8538's N
   * bit is not negotiated by us); false when the caller must drop them.
   */
  down(n: Negotiated | undefined, notified: boolean, started: boolean): boolean {
    const gr = n?.peerGracefulRestart;
    const families = (gr?.families ?? []).map((f) => familyKey(f.afi, f.safi)).filter((f) => n!.families.includes(f));
    if (!gr || families.length === 0 || notified || !started) { this.stop(); return false; }
    const rib = this.host.rib;
    rib.markStale(this.key, families);
    for (const f of [IPV4_UNICAST, IPV6_UNICAST]) if (!families.includes(f)) this.host.changes(rib.flushStale(this.key, f));
    // Families the peer did not list for graceful restart go now.
    for (const f of n!.families) if (!families.includes(f)) this.host.changes(rib.dropFamily(this.key, f));
    const time = gr.time > 0 ? gr.time : 0;
    // A session that ended before its End-of-RIB: the new restart time governs every stale route
    // (the previous session's stale deadline must not flush them early).
    this.clear('staleTimer');
    this.clear('restartTimer');
    this.restartTimer = this.host.clock.setTimer(time * 1000, () => {
      this.restartTimer = undefined;
      this.host.log('info', { peer: this.key }, `BGP peer ${this.name}: restart time (${time} s) ran out; its routes are withdrawn`);
      this.host.changes(rib.flushStale(this.key));
      this.expired();
    });
    this.host.log('info', { peer: this.key, restartTime: time, stale: rib.staleCount(this.key) }, `BGP peer ${this.name}: keeping its routes while it restarts`);
    return true;
  }

  stop(): void {
    this.clear('restartTimer');
    this.clear('staleTimer');
  }

  private clear(which: 'restartTimer' | 'staleTimer'): void {
    const t = this[which];
    if (t) this.host.clock.clearTimer(t);
    this[which] = undefined;
  }
}
