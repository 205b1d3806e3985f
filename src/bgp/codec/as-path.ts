// AS_PATH arithmetic shared by the codec and the RIB, and RFC 6793 §4.2.3 AS4 handling: how a
// path travels through a 2-octet-AS speaker (AS_TRANS in AS_PATH, the truth in AS4_PATH) and how
// it is rebuilt on arrival.

import { AS_TRANS } from './constants.js';

export type SegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
export interface AsPathSegment { readonly type: SegmentType; readonly asns: readonly number[] }
export interface Aggregator { readonly as: number; readonly address: string }

export const SEGMENT_CODE: Readonly<Record<SegmentType, number>> = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 };
export const SEGMENT_TYPE: Readonly<Record<number, SegmentType>> = { 1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set' };

/** Path length for best-path selection: an AS_SET counts 1, confederation segments 0 (RFC 4271 §9.1.2.2, RFC 5065 §5.3). */
export function asPathLength(path: readonly AsPathSegment[] | undefined): number {
  let n = 0;
  for (const s of path ?? []) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/** The neighbouring AS a route came from: the first AS of the leading AS_SEQUENCE (RFC 4271 §9.1.2.2 c). */
export function neighborAs(path: readonly AsPathSegment[] | undefined): number | undefined {
  const first = path?.[0];
  return first?.type === 'sequence' ? first.asns[0] : undefined;
}

/** How often `as` appears anywhere in the path (for loop detection). */
export function asCount(path: readonly AsPathSegment[] | undefined, as: number): number {
  let n = 0;
  for (const s of path ?? []) for (const a of s.asns) if (a === as) n++;
  return n;
}

/** Prepends `as` `times` times, merging into a leading AS_SEQUENCE that has room (255 per segment). */
export function prependAs(path: readonly AsPathSegment[] | undefined, as: number, times = 1): AsPathSegment[] {
  const rest = [...(path ?? [])];
  let head: number[] = [];
  const first = rest[0];
  if (first?.type === 'sequence') { head = [...first.asns]; rest.shift(); }
  for (let i = 0; i < times; i++) head.unshift(as);
  const out: AsPathSegment[] = [];
  while (head.length > 255) { out.push({ type: 'sequence', asns: head.slice(0, 255) }); head = head.slice(255); }
  out.push({ type: 'sequence', asns: head });
  return [...out, ...rest];
}

export const formatAsPath = (path: readonly AsPathSegment[]): string =>
  path.map((s) => {
    const a = s.asns.join(s.type.endsWith('set') ? ',' : ' ');
    return s.type === 'sequence' ? a : s.type === 'set' ? `{${a}}` : s.type === 'confed-sequence' ? `(${a})` : `[${a}]`;
  }).join(' ');

const needsTrans = (as: number): boolean => as > 0xffff;

/** For a 2-octet peer: AS_PATH with AS_TRANS in place of wide ASes, plus AS4_PATH when any was replaced. */
export function splitAs4Path(path: readonly AsPathSegment[]): { asPath: AsPathSegment[]; as4Path?: AsPathSegment[] } {
  let wide = false;
  const asPath = path.map((s) => ({ type: s.type, asns: s.asns.map((a) => (needsTrans(a) ? ((wide = true), AS_TRANS) : a)) }));
  if (!wide) return { asPath };
  // RFC 6793 §3: AS4_PATH carries no confederation segments.
  return { asPath, as4Path: path.filter((s) => s.type === 'sequence' || s.type === 'set').map((s) => ({ type: s.type, asns: [...s.asns] })) };
}

export function splitAs4Aggregator(agg: Aggregator): { aggregator: Aggregator; as4Aggregator?: Aggregator } {
  return needsTrans(agg.as) ? { aggregator: { as: AS_TRANS, address: agg.address }, as4Aggregator: agg } : { aggregator: agg };
}

/**
 * RFC 6793 §4.2.3: rebuild the true path from AS_PATH and AS4_PATH sent by a 2-octet speaker.
 * When AGGREGATOR names a real 2-octet AS (not AS_TRANS) while AS4_AGGREGATOR is present, the
 * route was aggregated by an old speaker after the AS4 attributes were made: both are ignored.
 */
export function reconstructAs4(attrs: {
  asPath?: readonly AsPathSegment[]; as4Path?: readonly AsPathSegment[];
  aggregator?: Aggregator; as4Aggregator?: Aggregator;
}): { asPath?: AsPathSegment[]; aggregator?: Aggregator } {
  let { asPath, aggregator } = attrs;
  let as4Path = attrs.as4Path;
  if (aggregator !== undefined && attrs.as4Aggregator !== undefined) {
    if (aggregator.as !== AS_TRANS) as4Path = undefined;
    else aggregator = attrs.as4Aggregator;
  }
  const out: { asPath?: AsPathSegment[]; aggregator?: Aggregator } = {};
  if (aggregator !== undefined) out.aggregator = aggregator;
  if (asPath === undefined) return out;
  if (as4Path === undefined) { out.asPath = [...asPath]; return out; }
  const countOf = (p: readonly AsPathSegment[]): number => asPathLength(p);
  const n = countOf(asPath), n4 = countOf(as4Path);
  if (n < n4) { out.asPath = [...asPath]; return out; } // AS4_PATH is ignored (§4.2.3)
  // Keep the leading (n - n4) ASes of AS_PATH (confederation segments are kept whole and count 0),
  // then append AS4_PATH.
  let keep = n - n4;
  const lead: AsPathSegment[] = [];
  for (const s of asPath) {
    if (keep <= 0 && s.type !== 'confed-sequence' && s.type !== 'confed-set') break;
    if (s.type === 'confed-sequence' || s.type === 'confed-set') { if (keep > 0 || lead.length === 0) lead.push(s); continue; }
    if (s.type === 'set') { lead.push(s); keep -= 1; continue; }
    const take = Math.min(keep, s.asns.length);
    lead.push({ type: 'sequence', asns: s.asns.slice(0, take) });
    keep -= take;
  }
  // Merge a trailing leading-sequence with a leading AS4 sequence so the result is canonical.
  const result = [...lead];
  for (const s of as4Path) {
    const last = result[result.length - 1];
    if (last?.type === 'sequence' && s.type === 'sequence' && last.asns.length + s.asns.length <= 255) {
      result[result.length - 1] = { type: 'sequence', asns: [...last.asns, ...s.asns] };
    } else result.push({ type: s.type, asns: [...s.asns] });
  }
  out.asPath = result;
  return out;
}
