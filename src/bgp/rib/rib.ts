// Adj-RIB-In per peer and the Loc-RIB with its best paths. Every change returns the prefixes whose
// best path (or ECMP set) changed, for the speaker to fan out to the Adj-RIB-Outs and the kernel.
//
//   UPDATE ─routeChanges─▶ Rib.update(peer) ─import checks─▶ Adj-RIB-In(peer) ─▶ candidates(prefix)
//                                                                                   │ chooseBest
//   Rib.originate (own blocks) ────────────────────────────────────────────────────▶ ▼
//                                                                          BestChange[] → speaker
//
// Sized for full tables: a path is a prefix and a pointer to its interned PathSource (shared by
// every prefix of an UPDATE), IPv4 unicast prefixes are numeric keys (no strings built), a prefix
// with one candidate path (almost all of them) is stored as just that path — a Dest with its
// candidates and chosen best only exists where there are several — and best paths are chosen
// once per touched prefix per UPDATE.

import { TortieError } from '../../lib/errors.js';
import { formatNlri, IPV4_UNICAST, type Family, type Nlri, type RouteChanges } from '../codec/index.js';
import { chooseBest, onlyPath, type BestResult } from './best-path.js';
import { importPath, type ImportOptions, type ImportVerdict } from './import.js';
import { PathSourceTable, RibPath, type PathSource } from './path-source.js';
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
  /**
   * Set when the peer's Adj-RIB-In holds more than its maxPrefix paths of one family (BIRD's
   * per-channel `import limit`): the speaker sends Cease/1 with that AFI/SAFI (RFC 4486 §4).
   */
  readonly maxPrefixExceeded?: { readonly family: Family; readonly limit: number; readonly count: number };
}

/** A prefix's identity in the RIB: a number for IPv4 unicast, text otherwise. */
export type RouteKey = number | string;

interface PeerEntry {
  info: PeerInfo;
  opts: ImportOptions;
  readonly adjIn: Map<RouteKey, Path>;
  /** Paths in adjIn per family (the max-prefix limit applies per AFI/SAFI). */
  readonly counts: Map<Family, number>;
  /** Graceful restart: paths kept from before the peer restarted, until refreshed (RFC 4724 §4.2). */
  readonly stale: Set<RouteKey>;
}

/** A prefix with several candidate paths (one per peer and path ID, and our own). */
class Dest {
  best: BestResult | undefined = undefined;
  constructor(readonly family: Family, readonly prefix: Nlri, readonly paths: Path[]) {}

  set(p: Path): void {
    const i = this.indexOf(p.peer?.id, p.prefix.pathId ?? 0);
    if (i < 0) this.paths.push(p); else this.paths[i] = p;
  }

  remove(peerId: string | undefined, pathId: number): void {
    const i = this.indexOf(peerId, pathId);
    if (i >= 0) this.paths.splice(i, 1);
  }

  private indexOf(peerId: string | undefined, pathId: number): number {
    const ps = this.paths;
    for (let i = 0; i < ps.length; i++) if (sameSource(ps[i]!, peerId, pathId)) return i;
    return -1;
  }
}

/** The Loc-RIB entry of a prefix: its only path, or a Dest. */
type Entry = Path | Dest;
/** What a prefix's best was before an operation touched it (a lone path stands for itself). */
interface Touched { readonly family: Family; readonly prefix: Nlri; readonly before: BestResult | Path | undefined }

const sameSource = (p: Path, peerId: string | undefined, pathId: number): boolean => p.peer?.id === peerId && (p.prefix.pathId ?? 0) === pathId;
const asResult = (b: BestResult | Path | undefined): BestResult | undefined => (b === undefined || !('family' in b) ? b : onlyPath(b));
const bestOf = (e: Entry | undefined): BestResult | Path | undefined => (e instanceof Dest ? e.best : e);

const bare = (n: Nlri): Nlri => (n.pathId === undefined ? n : { version: n.version, address: n.address, prefix: n.prefix });

/**
 * The key of a prefix (its path ID ignored): IPv4 unicast prefixes as address × 64 + length, an
 * exact number below 2^38 that costs no string; other families as `family prefix` text.
 */
export function routeKey(family: Family, n: Nlri): RouteKey {
  if (family === IPV4_UNICAST && n.version === 4) return Number(n.address) * 64 + n.prefix;
  return `${family} ${formatNlri(bare(n))}`;
}
const pathKey = (family: Family, n: Nlri, rk: RouteKey = routeKey(family, n)): RouteKey => (n.pathId === undefined ? rk : `${rk}#${n.pathId}`);

export class Rib {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly dests = new Map<RouteKey, Entry>();
  private readonly sources = new PathSourceTable();
  /** Reference count changes of sources during one operation, settled at its end. */
  private readonly held = new Map<PathSource, number>();

  constructor(readonly config: RibConfig) {}

  addPeer(info: PeerInfo, opts: ImportOptions = {}): void {
    const old = this.peers.get(info.id);
    if (old) { old.info = info; old.opts = opts; return; }
    this.peers.set(info.id, { info, opts, adjIn: new Map(), counts: new Map(), stale: new Set() });
  }

  /** Applies one UPDATE's changes (see codec `routeChanges`) from a peer; best paths are chosen once per prefix touched. */
  update(peerId: string, ch: RouteChanges): UpdateOutcome {
    const peer = this.entry(peerId);
    const touched = new Map<RouteKey, Touched>();
    const rejected: Array<{ family: Family; prefix: Nlri; reason: string }> = [];
    for (const w of ch.withdrawn) this.removeAdj(peer, pathKey(w.family, w.nlri), touched);
    // Every announcement of one family shares its next hops: one source, and — without an import
    // policy, which may look at the prefix — one verdict of the import checks.
    let hops: readonly string[] | undefined;
    let family: Family | undefined;
    let src: PathSource | undefined;
    let shared: ImportVerdict | undefined;
    for (const a of ch.announced) {
      if (src === undefined || a.nextHops !== hops || a.family !== family) {
        hops = a.nextHops;
        family = a.family;
        src = this.sources.intern(a.family, ch.attributes, a.nextHops, peer.info);
        this.hold(src, 0);
        shared = peer.opts.policy ? undefined : importPath(new RibPath(a.nlri, src), peer.info, this.config, peer.opts);
      }
      const rk = routeKey(a.family, a.nlri);
      const key = pathKey(a.family, a.nlri, rk);
      const candidate = new RibPath(a.nlri, src);
      const v = shared ?? importPath(candidate, peer.info, this.config, peer.opts);
      if (!v.ok) { rejected.push({ family: a.family, prefix: a.nlri, reason: v.reason }); this.removeAdj(peer, key, touched); continue; }
      const path = shared ? candidate : v.path;
      const old = peer.adjIn.get(key);
      if (old === undefined) peer.counts.set(a.family, (peer.counts.get(a.family) ?? 0) + 1);
      if (old instanceof RibPath) this.hold(old.src, -1);
      if (path instanceof RibPath) this.hold(path.src, 1);
      peer.adjIn.set(key, path);
      peer.stale.delete(key);
      this.setCandidate(rk, path, touched);
    }
    if (ch.endOfRib !== undefined) this.flushStaleIn(peer, ch.endOfRib, touched);
    const out: UpdateOutcome = { changes: this.recompute(touched), rejected };
    const limit = peer.opts.maxPrefix;
    if (limit === undefined || ch.announced.length === 0) return out;
    for (const [family, count] of peer.counts) if (count > limit) return { ...out, maxPrefixExceeded: { family, limit, count } };
    return out;
  }

  /** The session went down without graceful restart (or the peer was removed): all its paths go. */
  dropPeer(peerId: string, forget = false): BestChange[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    const touched = new Map<RouteKey, Touched>();
    for (const k of [...peer.adjIn.keys()]) this.removeAdj(peer, k, touched);
    peer.stale.clear();
    peer.counts.clear();
    if (forget) this.peers.delete(peerId);
    return this.recompute(touched);
  }

  /** RFC 7606 "AFI/SAFI disable": forget everything the peer sent in one family. */
  dropFamily(peerId: string, family: Family): BestChange[] {
    const peer = this.entry(peerId);
    const touched = new Map<RouteKey, Touched>();
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
    const touched = new Map<RouteKey, Touched>();
    this.flushStaleIn(peer, family, touched);
    return this.recompute(touched);
  }

  staleCount(peerId: string): number { return this.entry(peerId).stale.size; }
  adjRibInSize(peerId: string): number { return this.entry(peerId).adjIn.size; }
  /** Paths from the peer per family. */
  adjRibInCounts(peerId: string): ReadonlyMap<Family, number> { return this.entry(peerId).counts; }
  /** Distinct interned attribute sets held by the Adj-RIB-Ins. */
  get sourceCount(): number { return this.sources.size; }

  /** Originates a route from this node (Calico: the blackhole route of each local block). */
  originate(path: Omit<Path, 'peer'>): BestChange[] {
    const touched = new Map<RouteKey, Touched>();
    this.setCandidate(routeKey(path.family, path.prefix), { family: path.family, prefix: bare(path.prefix), attributes: path.attributes, nextHops: path.nextHops }, touched);
    return this.recompute(touched);
  }

  withdrawLocal(family: Family, prefix: Nlri): BestChange[] {
    const touched = new Map<RouteKey, Touched>();
    if (!this.removeCandidate(routeKey(family, prefix), undefined, 0, touched)) return [];
    return this.recompute(touched);
  }

  best(family: Family, prefix: Nlri): BestResult | undefined { return asResult(bestOf(this.dests.get(routeKey(family, prefix)))); }

  /** Every prefix with a best path (the Loc-RIB), for an initial dump to a new peer. */
  *bestPaths(): Iterable<{ family: Family; prefix: Nlri; best: BestResult }> {
    for (const e of this.dests.values()) {
      if (e instanceof Dest) { if (e.best) yield { family: e.family, prefix: e.prefix, best: e.best }; }
      else yield { family: e.family, prefix: bare(e.prefix), best: onlyPath(e) };
    }
  }

  private entry(peerId: string): PeerEntry {
    const p = this.peers.get(peerId);
    if (!p) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `The RIB has no BGP peer ${peerId} (addPeer first)`);
    return p;
  }

  /** Notes the prefix's best before its first change in this operation. */
  private touch(rk: RouteKey, e: Entry | undefined, p: Path, touched: Map<RouteKey, Touched>): void {
    if (touched.has(rk)) return;
    touched.set(rk, e instanceof Dest ? { family: e.family, prefix: e.prefix, before: e.best } : { family: p.family, prefix: bare(p.prefix), before: e });
  }

  private setCandidate(rk: RouteKey, p: Path, touched: Map<RouteKey, Touched>): void {
    const e = this.dests.get(rk);
    this.touch(rk, e, p, touched);
    if (e instanceof Dest) e.set(p);
    else if (e === undefined || sameSource(e, p.peer?.id, p.prefix.pathId ?? 0)) this.dests.set(rk, p);
    else {
      const d = new Dest(p.family, bare(p.prefix), [e, p]);
      d.best = onlyPath(e);
      this.dests.set(rk, d);
    }
  }

  private removeCandidate(rk: RouteKey, peerId: string | undefined, pathId: number, touched: Map<RouteKey, Touched>): boolean {
    const e = this.dests.get(rk);
    if (e === undefined) return false;
    if (e instanceof Dest) {
      const n = e.paths.length;
      this.touch(rk, e, e.paths[0]!, touched);
      e.remove(peerId, pathId);
      return e.paths.length < n;
    }
    if (!sameSource(e, peerId, pathId)) return false;
    this.touch(rk, e, e, touched);
    this.dests.delete(rk);
    return true;
  }

  private hold(src: PathSource, n: number): void {
    this.held.set(src, (this.held.get(src) ?? 0) + n);
  }

  private removeAdj(peer: PeerEntry, key: RouteKey, touched: Map<RouteKey, Touched>): void {
    const p = peer.adjIn.get(key);
    if (!p) return;
    peer.adjIn.delete(key);
    peer.stale.delete(key);
    const n = (peer.counts.get(p.family) ?? 1) - 1;
    if (n > 0) peer.counts.set(p.family, n); else peer.counts.delete(p.family);
    if (p instanceof RibPath) this.hold(p.src, -1);
    this.removeCandidate(routeKey(p.family, p.prefix), peer.info.id, p.prefix.pathId ?? 0, touched);
  }

  private flushStaleIn(peer: PeerEntry, family: Family | undefined, touched: Map<RouteKey, Touched>): void {
    for (const k of [...peer.stale]) {
      if (family === undefined || peer.adjIn.get(k)?.family === family) this.removeAdj(peer, k, touched);
    }
  }

  private recompute(touched: ReadonlyMap<RouteKey, Touched>): BestChange[] {
    for (const [src, n] of this.held) this.sources.adjust(src, n);
    this.held.clear();
    const out: BestChange[] = [];
    for (const [k, t] of touched) {
      let e = this.dests.get(k);
      if (e instanceof Dest && e.paths.length <= 1) {
        // Back to one candidate (or none): the path is its own entry again.
        e = e.paths[0];
        if (e) this.dests.set(k, e); else this.dests.delete(k);
      }
      const after = e instanceof Dest ? (e.best = chooseBest(e.paths, this.config)) : e;
      if (sameBest(t.before, after)) continue;
      const change: { family: Family; prefix: Nlri; before?: BestResult; after?: BestResult } = { family: t.family, prefix: t.prefix };
      const before = asResult(t.before), now = asResult(after);
      if (before) change.before = before;
      if (now) change.after = now;
      out.push(change);
    }
    return out;
  }
}

/** The same best path and the same ECMP set (a lone path is its own best, without ECMP peers). */
function sameBest(a: BestResult | Path | undefined, b: BestResult | Path | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ra = asResult(a)!, rb = asResult(b)!;
  return ra.best === rb.best && ra.ecmp.length === rb.ecmp.length && ra.ecmp.every((p, i) => p === rb.ecmp[i]);
}
