// UPDATE packing: prefixes with identical attributes share UPDATEs, each filled up to the
// negotiated maximum length (4096, or 65535 with RFC 8654); withdrawals likewise batched.

import {
  attributesBytes, hex, IPV4_UNICAST, nlriSize, UPDATE_OVERHEAD,
  type CodecContext, type Family, type Nlri, type PathAttributes, type UpdateMessage,
} from '../codec/index.js';
import type { Advertised } from './export.js';

export interface Announce extends Advertised { readonly family: Family; readonly prefix: Nlri }
export interface Withdraw { readonly family: Family; readonly prefix: Nlri }

const afiSafi = (f: Family): { afi: number; safi: number } => {
  const [afi, safi] = f.split('/').map(Number);
  return { afi: afi!, safi: safi! };
};

/** Splits `items` into runs whose summed size stays within `budget` (at least one item per run). */
function chunk<T>(items: readonly T[], size: (t: T) => number, budget: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let used = 0;
  for (const it of items) {
    const n = size(it);
    if (cur.length > 0 && used + n > budget) { out.push(cur); cur = []; used = 0; }
    cur.push(it);
    used += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export function packUpdates(announce: readonly Announce[], withdraw: readonly Withdraw[], ctx: CodecContext): UpdateMessage[] {
  const out: UpdateMessage[] = [];
  const ap = (f: Family): boolean => ctx.addPath.has(f);
  // Withdrawals, per family: IPv4 in the Withdrawn Routes field, others in MP_UNREACH_NLRI
  // (4-octet attribute header + AFI/SAFI).
  const byFamily = new Map<Family, Nlri[]>();
  for (const w of withdraw) (byFamily.get(w.family) ?? byFamily.set(w.family, []).get(w.family)!).push(w.prefix);
  for (const [family, prefixes] of byFamily) {
    const v4 = family === IPV4_UNICAST;
    const budget = ctx.maxLength - UPDATE_OVERHEAD - (v4 ? 0 : 4 + 3);
    for (const run of chunk(prefixes, (p) => nlriSize(p, ap(family)), budget)) {
      out.push(v4 ? { type: 'update', withdrawn: run, attributes: {}, nlri: [] }
        : { type: 'update', withdrawn: [], attributes: { mpUnreach: { ...afiSafi(family), withdrawn: run } }, nlri: [] });
    }
  }
  // Announcements, grouped by family + encoded attributes + next hops.
  const groups = new Map<string, { family: Family; attributes: PathAttributes; nextHops: readonly string[]; prefixes: Nlri[] }>();
  for (const a of announce) {
    const key = `${a.family}|${a.nextHops.join(',')}|${hex(attributesBytes(a.attributes, ctx))}`;
    let g = groups.get(key);
    if (!g) { g = { family: a.family, attributes: a.attributes, nextHops: a.nextHops, prefixes: [] }; groups.set(key, g); }
    g.prefixes.push(a.prefix);
  }
  for (const g of groups.values()) {
    const v4 = g.family === IPV4_UNICAST;
    const { afi, safi } = afiSafi(g.family);
    const base: PathAttributes = v4 ? { ...g.attributes, nextHop: g.nextHops[0]! }
      : { ...g.attributes, mpReach: { afi, safi, nextHops: g.nextHops, nlri: [] } };
    // +1: MP_REACH may need the 2-octet (extended) length once prefixes are added.
    const fixed = UPDATE_OVERHEAD + attributesBytes(base, ctx).length + (v4 ? 0 : 1);
    for (const run of chunk(g.prefixes, (p) => nlriSize(p, ap(g.family)), ctx.maxLength - fixed)) {
      out.push(v4 ? { type: 'update', withdrawn: [], attributes: base, nlri: run }
        : { type: 'update', withdrawn: [], attributes: { ...g.attributes, mpReach: { afi, safi, nextHops: g.nextHops, nlri: run } }, nlri: [] });
    }
  }
  return out;
}

