// Best-path selection (RFC 4271 §9.1.2.2, RFC 4456 §9) as a list of small comparators, each
// -1 (a better), 0 or 1. The chooser eliminates, rule by rule, every path that another remaining
// path beats — the RFC's own formulation, which keeps the MED rule (not transitive across
// neighbour ASes) independent of arrival order — and reports which rule decided.
// (After gobgp's destination.go.)

import { asPathLength, ipv4Number, neighborAs } from '../codec/index.js';
import { parseIP } from '../../lib/ip.js';
import { isExternal, type Path, type RibConfig } from './types.js';

export type Verdict = -1 | 0 | 1;
export interface Comparator {
  readonly name: string;
  compare(a: Path, b: Path, cfg: RibConfig): Verdict;
}

const cmp = (x: number | bigint, y: number | bigint): Verdict => (x < y ? -1 : x > y ? 1 : 0);
const DEFAULT_LOCAL_PREF = 100;

const routerIdOf = (p: Path, cfg: RibConfig): number =>
  ipv4Number(p.attributes.originatorId ?? p.peer?.routerId ?? cfg.routerId);

/** Address order: IPv4 before IPv6, then numerically. */
const addressValue = (s: string | undefined): bigint => {
  const ip = s === undefined ? null : parseIP(s);
  return ip === null ? -1n : (ip.version === 6 ? 1n << 128n : 0n) + ip.value;
};

export const BEST_PATH: readonly Comparator[] = [
  // BIRD prefers its static routes (preference 200) over BGP ones (100): our own blocks win.
  { name: 'local-origin', compare: (a, b) => cmp(a.peer ? 1 : 0, b.peer ? 1 : 0) },
  { name: 'local-pref', compare: (a, b) => cmp(b.attributes.localPref ?? DEFAULT_LOCAL_PREF, a.attributes.localPref ?? DEFAULT_LOCAL_PREF) },
  { name: 'as-path-length', compare: (a, b) => cmp(asPathLength(a.attributes.asPath), asPathLength(b.attributes.asPath)) },
  { name: 'origin', compare: (a, b) => cmp(a.attributes.origin ?? 2, b.attributes.origin ?? 2) },
  {
    // Only between paths from the same neighbour AS, unless configured otherwise; a missing MED is 0.
    name: 'med',
    compare: (a, b, cfg) => {
      if (!cfg.alwaysCompareMed && neighborAs(a.attributes.asPath) !== neighborAs(b.attributes.asPath)) return 0;
      return cmp(a.attributes.med ?? 0, b.attributes.med ?? 0);
    },
  },
  { name: 'ebgp-over-ibgp', compare: (a, b) => cmp(a.peer && isExternal(a.peer) ? 0 : 1, b.peer && isExternal(b.peer) ? 0 : 1) },
  {
    name: 'igp-cost',
    compare: (a, b, cfg) => {
      const cost = (p: Path): number => (cfg.igpCost && p.nextHops[0] !== undefined ? cfg.igpCost(p.nextHops[0]) : 0);
      return cmp(cost(a), cost(b));
    },
  },
  // ── paths equal so far are equal-cost multipath (BIRD `merge paths`) ──
  { name: 'router-id', compare: (a, b, cfg) => cmp(routerIdOf(a, cfg), routerIdOf(b, cfg)) },
  { name: 'cluster-list-length', compare: (a, b) => cmp(a.attributes.clusterList?.length ?? 0, b.attributes.clusterList?.length ?? 0) },
  { name: 'peer-address', compare: (a, b) => cmp(addressValue(a.peer?.address), addressValue(b.peer?.address)) },
  // Several paths from one peer (ADD-PATH): the lowest path identifier, so the choice is total.
  { name: 'path-id', compare: (a, b) => cmp(a.prefix.pathId ?? 0, b.prefix.pathId ?? 0) },
];

/** The first rule of BEST_PATH that does not count for ECMP. */
export const ECMP_BOUNDARY = 'router-id';

export interface BestResult {
  readonly best: Path;
  /** The rule that narrowed the field to one path ('only-path' when there was just one). */
  readonly decidedBy: string;
  /** Paths equal to the best down to (excluding) the router-ID rule; always contains `best`. */
  readonly ecmp: readonly Path[];
}

/** The result for a lone path (most prefixes), without an ECMP array kept per prefix. */
class OnlyPath implements BestResult {
  constructor(readonly best: Path) {}
  get decidedBy(): string { return 'only-path'; }
  get ecmp(): readonly Path[] { return [this.best]; }
}

/** The BestResult of a prefix that has just this one path. */
export const onlyPath = (p: Path): BestResult => new OnlyPath(p);

export function chooseBest(paths: readonly Path[], cfg: RibConfig, rules: readonly Comparator[] = BEST_PATH): BestResult | undefined {
  if (paths.length === 0) return undefined;
  if (paths.length === 1) return onlyPath(paths[0]!);
  let field = paths;
  let ecmp: readonly Path[] | undefined;
  let decidedBy = 'tie';
  for (const rule of rules) {
    if (rule.name === ECMP_BOUNDARY) ecmp = field;
    const next = field.filter((p) => !field.some((q) => q !== p && rule.compare(q, p, cfg) < 0));
    if (next.length === 0) continue; // cannot happen for a sane rule; keep the field rather than lose it
    field = next;
    if (field.length === 1) { decidedBy = rule.name; break; }
  }
  const best = field[0]!;
  // Listed in a stable order (by peer address, then path ID) whatever order the paths arrived in.
  const ordered = (ecmp ?? [best]).slice().sort((a, b) => cmp(addressValue(a.peer?.address), addressValue(b.peer?.address)) || cmp(a.prefix.pathId ?? 0, b.prefix.pathId ?? 0));
  return { best, decidedBy, ecmp: ordered };
}
