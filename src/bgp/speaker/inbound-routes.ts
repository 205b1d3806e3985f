// One peer's UPDATEs into the RIB (Established only): RFC 7606 outcomes, import refusals counted
// as received-but-not-accepted, End-of-RIB tracking for convergence and graceful restart, and the
// max-prefix limit.
//
//   UPDATE ─routeChanges─▶ Rib.update(peer) ─▶ host.changes(best-path changes)
//                                         └──▶ End-of-RIB of every family ─▶ stale flush, host.endOfRib

import { routeChanges, type Family, type Negotiated, type OpenMessage, type UpdateMessage, type WireError } from '../codec/index.js';
import type { RestartHelper } from './graceful-restart.js';
import type { PeerHost } from './peer-host.js';
import type { Peer } from './peer.js';

export class InboundRoutes {
  /** Prefixes refused on import (reported as received, not accepted), as `family address/length`. */
  private readonly rejected = new Set<string>();
  private eorPending = new Set<Family>();
  private sawEndOfRib = false;
  updates = 0;

  constructor(private readonly peer: Peer, private readonly host: PeerHost, private readonly restart: RestartHelper) {}

  get rejectedCount(): number { return this.rejected.size; }
  /** True once the peer sent End-of-RIB for every family, or never will. */
  get initialSyncDone(): boolean { return this.sawEndOfRib; }

  /**
   * A new session: a peer without the graceful-restart capability need not send End-of-RIB
   * (RFC 4724 §2), so its initial table cannot be waited for.
   */
  established(open: OpenMessage, n: Negotiated): void {
    this.eorPending = new Set(open.capabilities.gracefulRestart ? n.families : []);
    this.sawEndOfRib = this.eorPending.size === 0;
  }

  down(): void { this.rejected.clear(); }

  /** Applies one UPDATE; returns the exceeded limit when the peer sent more prefixes than allowed. */
  apply(u: UpdateMessage, problems: readonly WireError[] | undefined): { limit: number; count: number } | undefined {
    const key = this.peer.key;
    this.updates++;
    for (const p of problems ?? []) this.host.log('debug', { peer: key, rank: p.rank }, `BGP UPDATE: ${p.reason} (RFC 7606 ${p.rank})`);
    const ch = routeChanges(u, problems);
    const rib = this.host.rib;
    for (const fam of ch.disabledFamilies) this.host.changes(rib.dropFamily(key, fam));
    const out = rib.update(key, ch);
    if (this.rejected.size > 0) {
      for (const w of ch.withdrawn) this.rejected.delete(`${w.family} ${w.nlri.address}/${w.nlri.prefix}`);
      for (const a of ch.announced) this.rejected.delete(`${a.family} ${a.nlri.address}/${a.nlri.prefix}`);
    }
    for (const r of out.rejected) this.rejected.add(`${r.family} ${r.prefix.address}/${r.prefix.prefix}`);
    if (out.rejected.length) this.host.log('debug', { peer: key, rejected: out.rejected.length, reason: out.rejected[0]!.reason }, 'BGP: paths refused on import');
    this.host.changes(out.changes);
    if (ch.endOfRib !== undefined) {
      this.eorPending.delete(ch.endOfRib);
      if (this.eorPending.size === 0 && !this.sawEndOfRib) {
        this.sawEndOfRib = true;
        this.restart.endOfRib();
        this.host.endOfRib(this.peer);
      }
    }
    return out.maxPrefixExceeded;
  }
}
