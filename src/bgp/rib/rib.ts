// Adj-RIB-In per peer and the Loc-RIB with its best paths. Every change returns the prefixes whose
// best path (or ECMP set) changed, for the speaker to fan out to the Adj-RIB-Outs and the kernel.
//
//   UPDATE ─routeChanges─▶ Rib.update(peer) ─import checks─▶ Adj-RIB-In(peer) ─▶ candidates(prefix)
//                                                                                   │ chooseBest
//   Rib.originate (own blocks) ────────────────────────────────────────────────────▶ ▼
//                                                                          BestChange[] → speaker

import { TortieError } from '../../lib/errors.js';
import { formatNlri, type Family, type Nlri, type RouteChanges } from '../codec/index.js';
import { chooseBest, type BestResult } from './best-path.js';
import { importPath, type ImportOptions } from './import.js';
import type { Path, PeerInfo, RibConfig } from './types.js';

export interface BestChange {
  readonly family: Family;
  /** The prefix, without path identifier. */
  readonly prefix: Nlri;
  readonly before?: BestResult;
  readonly after?: BestResult;
}

export interface UpdateOutcome {
  readonly changes: readonly BestChange[];
  /** Paths refused by the import checks (handled as withdrawals). */
  readonly rejected: ReadonlyArray<{ readonly family: Family; readonly prefix: Nlri; readonly reason: string }>;
  /** Set when the peer's Adj-RIB-In holds more than its maxPrefix: the speaker sends Cease/1 (RFC 4486). */
  readonly maxPrefixExceeded?: { readonly limit: number; readonly count: number };
}

interface PeerEntry {
  info: PeerInfo;
  opts: ImportOptions;
  readonly adjIn: Map<string, Path>;
  /** Graceful restart: paths kept from before the peer restarted, until refreshed (RFC 4724 §4.2). */
  readonly stale: Set<string>;
}

interface Dest {
  readonly family: Family;
  readonly prefix: Nlri;
  readonly candidates: Map<string, Path>;
  best?: BestResult;
}

const bare = (n: Nlri): Nlri => ({ version: n.version, address: n.address, prefix: n.prefix });
export const routeKey = (family: Family, n: Nlri): string => `${family} ${formatNlri(bare(n))}`;
const pathKey = (family: Family, n: Nlri): string => `${routeKey(family, n)}#${n.pathId ?? 0}`;
const LOCAL = '\u0000local';

export class Rib {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly dests = new Map<string, Dest>();

  constructor(readonly config: RibConfig) {}

  addPeer(info: PeerInfo, opts: ImportOptions = {}): void {
    const old = this.peers.get(info.id);
    if (old) { old.info = info; old.opts = opts; return; }
    this.peers.set(info.id, { info, opts, adjIn: new Map(), stale: new Set() });
  }

  /** Applies one UPDATE's changes (see codec `routeChanges`) from a peer. */
  update(peerId: string, ch: RouteChanges): UpdateOutcome {
    const peer = this.entry(peerId);
    const touched = new Set<string>();
    const rejected: Array<{ family: Family; prefix: Nlri; reason: string }> = [];
    for (const w of ch.withdrawn) this.removeAdj(peer, pathKey(w.family, w.nlri), touched);
    for (const a of ch.announced) {
      const path: Path = { family: a.family, prefix: a.nlri, attributes: ch.attributes, nextHops: a.nextHops, peer: peer.info };
      const v = importPath(path, peer.info, this.config, peer.opts);
      const key = pathKey(a.family, a.nlri);
      if (!v.ok) { rejected.push({ family: a.family, prefix: a.nlri, reason: v.reason }); this.removeAdj(peer, key, touched); continue; }
      peer.adjIn.set(key, v.path);
      peer.stale.delete(key);
      this.candidates(v.path.family, v.path.prefix).candidates.set(`${peer.info.id}#${a.nlri.pathId ?? 0}`, v.path);
      touched.add(routeKey(a.family, a.nlri));
    }
    if (ch.endOfRib !== undefined) this.flushStaleIn(peer, (k) => k.startsWith(`${ch.endOfRib} `), touched);
    const out: UpdateOutcome = { changes: this.recompute(touched), rejected };
    const limit = peer.opts.maxPrefix;
    return limit !== undefined && peer.adjIn.size > limit ? { ...out, maxPrefixExceeded: { limit, count: peer.adjIn.size } } : out;
  }

  /** The session went down without graceful restart (or the peer was removed): all its paths go. */
  dropPeer(peerId: string, forget = false): BestChange[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    const touched = new Set<string>();
    for (const k of [...peer.adjIn.keys()]) this.removeAdj(peer, k, touched);
    peer.stale.clear();
    if (forget) this.peers.delete(peerId);
    return this.recompute(touched);
  }

  /** RFC 7606 "AFI/SAFI disable": forget everything the peer sent in one family. */
  dropFamily(peerId: string, family: Family): BestChange[] {
    const peer = this.entry(peerId);
    const touched = new Set<string>();
    for (const [k, p] of [...peer.adjIn]) if (p.family === family) this.removeAdj(peer, k, touched);
    return this.recompute(touched);
  }

  /** RFC 4724 §4.2: the peer restarts; keep its paths (in `families`, default all) as stale. */
  markStale(peerId: string, families?: readonly Family[]): void {
    const peer = this.entry(peerId);
    for (const [k, p] of peer.adjIn) if (!families || families.includes(p.family)) peer.stale.add(k);
  }

  /** The restart timer ran out (or the peer came back without graceful restart): flush stale paths. */
  flushStale(peerId: string, family?: Family): BestChange[] {
    const peer = this.entry(peerId);
    const touched = new Set<string>();
    this.flushStaleIn(peer, (k) => family === undefined || k.startsWith(`${family} `), touched);
    return this.recompute(touched);
  }

  staleCount(peerId: string): number { return this.entry(peerId).stale.size; }
  adjRibInSize(peerId: string): number { return this.entry(peerId).adjIn.size; }

  /** Originates a route from this node (Calico: the blackhole route of each local block). */
  originate(path: Omit<Path, 'peer'>): BestChange[] {
    const d = this.candidates(path.family, path.prefix);
    d.candidates.set(LOCAL, { family: path.family, prefix: bare(path.prefix), attributes: path.attributes, nextHops: path.nextHops });
    return this.recompute(new Set([routeKey(path.family, path.prefix)]));
  }

  withdrawLocal(family: Family, prefix: Nlri): BestChange[] {
    const d = this.dests.get(routeKey(family, prefix));
    if (!d || !d.candidates.delete(LOCAL)) return [];
    return this.recompute(new Set([routeKey(family, prefix)]));
  }

  best(family: Family, prefix: Nlri): BestResult | undefined { return this.dests.get(routeKey(family, prefix))?.best; }

  /** Every prefix with a best path (the Loc-RIB), for an initial dump to a new peer. */
  *bestPaths(): Iterable<{ family: Family; prefix: Nlri; best: BestResult }> {
    for (const d of this.dests.values()) if (d.best) yield { family: d.family, prefix: d.prefix, best: d.best };
  }

  private entry(peerId: string): PeerEntry {
    const p = this.peers.get(peerId);
    if (!p) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `The RIB has no BGP peer ${peerId} (addPeer first)`);
    return p;
  }

  private candidates(family: Family, prefix: Nlri): Dest {
    const k = routeKey(family, prefix);
    let d = this.dests.get(k);
    if (!d) { d = { family, prefix: bare(prefix), candidates: new Map() }; this.dests.set(k, d); }
    return d;
  }

  private removeAdj(peer: PeerEntry, key: string, touched: Set<string>): void {
    const p = peer.adjIn.get(key);
    if (!p) return;
    peer.adjIn.delete(key);
    peer.stale.delete(key);
    const rk = routeKey(p.family, p.prefix);
    this.dests.get(rk)?.candidates.delete(`${peer.info.id}#${p.prefix.pathId ?? 0}`);
    touched.add(rk);
  }

  private flushStaleIn(peer: PeerEntry, match: (key: string) => boolean, touched: Set<string>): void {
    for (const k of [...peer.stale]) if (match(k)) this.removeAdj(peer, k, touched);
  }

  private recompute(keys: Iterable<string>): BestChange[] {
    const out: BestChange[] = [];
    for (const k of keys) {
      const d = this.dests.get(k);
      if (!d) continue;
      const before = d.best;
      const after = chooseBest([...d.candidates.values()], this.config);
      const same = before === undefined ? after === undefined
        : after !== undefined && before.best === after.best && before.ecmp.length === after.ecmp.length && before.ecmp.every((p, i) => p === after.ecmp[i]);
      if (after) d.best = after; else { delete d.best; this.dests.delete(k); }
      if (same) continue;
      const change: { family: Family; prefix: Nlri; before?: BestResult; after?: BestResult } = { family: d.family, prefix: d.prefix };
      if (before) change.before = before;
      if (after) change.after = after;
      out.push(change);
    }
    return out;
  }
}
