// Adj-RIB-Out for one peer: what we have told it, what changed since, and the UPDATEs that tell
// it the difference. After the initial dump, one End-of-RIB per family (RFC 4724 §2).

import { endOfRib, type CodecContext, type Family, type Nlri, type UpdateMessage } from '../codec/index.js';
import type { BestChange, Rib } from './rib.js';
import { routeKey, type RouteKey } from './rib.js';
import { exportPath, type Advertised, type ExportPolicy } from './export.js';
import { packUpdates, type Announce, type Withdraw } from './pack.js';
import type { Path, PeerInfo, RibConfig } from './types.js';

const same = (a: Advertised, b: Advertised): boolean =>
  JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v)) ===
  JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v));

export class AdjRibOut {
  private readonly sent = new Map<RouteKey, { family: Family; prefix: Nlri; adv: Advertised }>();
  private readonly pending = new Map<RouteKey, { family: Family; prefix: Nlri; adv: Advertised | null }>();

  constructor(
    readonly peer: PeerInfo,
    /** Families negotiated on the session. */
    readonly families: readonly Family[],
    private readonly ctx: CodecContext,
    private readonly cfg: RibConfig,
    private readonly policy?: ExportPolicy,
  ) {}

  /** Takes a Loc-RIB change into account; nothing is sent until `flush`. */
  offer(family: Family, prefix: Nlri, best: Path | undefined): void {
    if (!this.families.includes(family)) return;
    const k = routeKey(family, prefix);
    const adv = best ? exportPath(best, this.peer, this.cfg, this.policy) : null;
    const was = this.sent.get(k);
    if (adv === null ? was === undefined : was !== undefined && same(was.adv, adv)) { this.pending.delete(k); return; }
    this.pending.set(k, { family, prefix, adv });
  }

  offerChanges(changes: readonly BestChange[]): void {
    for (const c of changes) this.offer(c.family, c.prefix, c.after?.best);
  }

  /** The UPDATEs for everything offered since the last flush, packed. */
  flush(): UpdateMessage[] {
    const announce: Announce[] = [];
    const withdraw: Withdraw[] = [];
    for (const [k, p] of this.pending) {
      if (p.adv === null) {
        withdraw.push({ family: p.family, prefix: p.prefix });
        this.sent.delete(k);
      } else {
        announce.push({ family: p.family, prefix: p.prefix, ...p.adv });
        this.sent.set(k, { family: p.family, prefix: p.prefix, adv: p.adv });
      }
    }
    this.pending.clear();
    return packUpdates(announce, withdraw, this.ctx);
  }

  /** On Established: the whole Loc-RIB as this peer should see it, then End-of-RIB per family. */
  initialDump(rib: Rib): UpdateMessage[] {
    for (const r of rib.bestPaths()) this.offer(r.family, r.prefix, r.best.best);
    const out = this.flush();
    for (const f of this.families) {
      const [afi, safi] = f.split('/').map(Number);
      out.push(endOfRib(afi!, safi!));
    }
    return out;
  }

  get advertisedCount(): number { return this.sent.size; }
}
