// One peer's UPDATEs into the RIB (Established only): RFC 7606 outcomes, import refusals counted
// as received-but-not-accepted, End-of-RIB tracking for convergence and graceful restart, and the
// max-prefix limit.
//
//   UPDATE ─routeChanges─▶ session filter ─▶ Rib.update(peer) ─▶ host.changes(best-path changes)
//          (families not negotiated,   │                    └──▶ End-of-RIB of every family ─▶ stale flush, host.endOfRib
//           or disabled: RFC 4760 §7)  └─▶ AFI/SAFI disable: the family's routes dropped, ignored until the session ends

import {
  formatFamily, routeChanges,
  type Family, type Negotiated, type OpenMessage, type RouteChanges, type UpdateMessage, type WireError,
} from '../codec/index.js';
import type { RestartHelper } from './graceful-restart.js';
import type { PeerHost } from './peer-host.js';
import type { Peer } from './peer.js';

export class InboundRoutes {
  /** Prefixes refused on import (reported as received, not accepted), as `family address/length`. */
  private readonly rejected = new Set<string>();
  private eorPending = new Set<Family>();
  private sawEndOfRib = false;
  /** The session's families, and those an "AFI/SAFI disable" error switched off for it. */
  private families = new Set<Family>();
  private readonly disabled = new Set<Family>();
  updates = 0;

  constructor(private readonly peer: Peer, private readonly host: PeerHost, private readonly restart: RestartHelper) {}

  get rejectedCount(): number { return this.rejected.size; }
  /** True once the peer sent End-of-RIB for every family, or never will. */
  get initialSyncDone(): boolean { return this.sawEndOfRib; }
  get disabledFamilies(): readonly Family[] { return [...this.disabled]; }

  /**
   * A new session: a peer without the graceful-restart capability need not send End-of-RIB
   * (RFC 4724 §2), so its initial table cannot be waited for.
   */
  established(open: OpenMessage, n: Negotiated): void {
    this.families = new Set(n.families);
    this.disabled.clear();
    this.eorPending = new Set(open.capabilities.gracefulRestart ? n.families : []);
    this.sawEndOfRib = this.eorPending.size === 0;
  }

  down(): void { this.rejected.clear(); }

  /** Applies one UPDATE; returns the exceeded limit when the peer sent more prefixes of a family than allowed. */
  apply(u: UpdateMessage, problems: readonly WireError[] | undefined): { family: Family; limit: number; count: number } | undefined {
    const key = this.peer.key;
    this.updates++;
    for (const p of problems ?? []) this.host.log('debug', { peer: key, rank: p.rank }, `BGP UPDATE: ${p.reason} (RFC 7606 ${p.rank})`);
    const rib = this.host.rib;
    const raw = routeChanges(u, problems);
    for (const fam of raw.disabledFamilies) {
      if (this.disabled.has(fam) || !this.families.has(fam)) continue;
      // RFC 4760 §7 (RFC 7606 §2 "AFI/SAFI disable"): the family's routes from this peer go, and
      // what it sends of that family later on this session is ignored.
      this.disabled.add(fam);
      this.host.log('warn', { peer: key, family: fam }, `BGP: malformed ${formatFamily(fam)} routes from the peer; that family is ignored until the session restarts (RFC 4760 §7)`);
      this.host.changes(rib.dropFamily(key, fam));
      this.eorDone(fam);
    }
    const ch = this.forSession(raw);
    const out = rib.update(key, ch);
    if (this.rejected.size > 0) {
      for (const w of ch.withdrawn) this.rejected.delete(`${w.family} ${w.nlri.address}/${w.nlri.prefix}`);
      for (const a of ch.announced) this.rejected.delete(`${a.family} ${a.nlri.address}/${a.nlri.prefix}`);
    }
    for (const r of out.rejected) this.rejected.add(`${r.family} ${r.prefix.address}/${r.prefix.prefix}`);
    if (out.rejected.length) this.host.log('debug', { peer: key, rejected: out.rejected.length, reason: out.rejected[0]!.reason }, 'BGP: paths refused on import');
    this.host.changes(out.changes);
    if (ch.endOfRib !== undefined) this.eorDone(ch.endOfRib);
    return out.maxPrefixExceeded;
  }

  /**
   * Only the session's families, minus the disabled ones: routes of a family that was not agreed
   * on in the OPENs (RFC 4760 §8) are ignored.
   */
  private forSession(ch: RouteChanges): RouteChanges {
    const ok = (f: Family): boolean => this.families.has(f) && !this.disabled.has(f);
    if (ch.announced.every((a) => ok(a.family)) && ch.withdrawn.every((w) => ok(w.family)) && (ch.endOfRib === undefined || ok(ch.endOfRib))) return ch;
    const { endOfRib, ...rest } = ch;
    const out: RouteChanges = { ...rest, announced: ch.announced.filter((a) => ok(a.family)), withdrawn: ch.withdrawn.filter((w) => ok(w.family)) };
    return endOfRib !== undefined && ok(endOfRib) ? { ...out, endOfRib } : out;
  }

  /** The family's initial table is complete (End-of-RIB, or it was disabled). */
  private eorDone(fam: Family): void {
    this.eorPending.delete(fam);
    if (this.eorPending.size === 0 && !this.sawEndOfRib) {
      this.sawEndOfRib = true;
      this.restart.endOfRib();
      this.host.endOfRib(this.peer);
    }
  }
}
