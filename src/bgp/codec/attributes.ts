// The one table of path attributes (RFC 4271 §5 and extensions): type code, flags, how each value
// decodes, encodes and prints, and how a malformed one is handled under RFC 7606 §7. The UPDATE
// codec walks this table; nothing else switches on attribute type codes. (After BIRD's
// proto/bgp/attrs.c.)

import { ipBytes, ipv4String, ipv6String, u16, u32, type Writer } from './_bytes.js';
import {
  formatAsPath, SEGMENT_CODE, SEGMENT_TYPE, type Aggregator, type AsPathSegment,
} from './as-path.js';
import { AFI, FLAG, UPDATE_SUB, familyKey } from './constants.js';
import type { CodecContext } from './context.js';
import { decodePrefixes, encodePrefix, type Nlri } from './nlri.js';
import type { Rank } from './wire-error.js';

export type Origin = 0 | 1 | 2;
export const ORIGIN_NAME = ['IGP', 'EGP', 'INCOMPLETE'] as const;

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** One address; or, for IPv6, the global address then the link-local one (RFC 2545 §3). */
  readonly nextHops: readonly string[];
  readonly nlri: readonly Nlri[];
  /** A family this codec does not parse: its next hop and NLRI octets, kept as received. */
  readonly opaque?: { readonly nextHop: Uint8Array; readonly nlri: Uint8Array };
}
export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Nlri[];
  readonly opaque?: Uint8Array;
}
export interface UnknownAttribute { readonly code: number; readonly flags: number; readonly value: Uint8Array }
export type LargeCommunity = readonly [global: number, local1: number, local2: number];

export interface PathAttributes {
  readonly origin?: Origin;
  /** Always the true path with 4-octet ASes (AS4_PATH already merged in, RFC 6793 §4.2.3). */
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: true;
  readonly aggregator?: Aggregator;
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** Only between the codec and a 2-octet-AS peer; never seen after decoding. */
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Unrecognised optional transitive attributes, passed on with the Partial bit set (RFC 4271 §5). */
  readonly unknown?: readonly UnknownAttribute[];
}

type Key = Exclude<keyof PathAttributes, 'unknown'>;

/** What an attribute decoder may use: the session context and a way to reject the value. */
export interface AttrEnv {
  readonly ctx: CodecContext;
  /** Rejects the value with this UPDATE subcode; rank and data come from the table entry. */
  fail(subcode: number, why: string, rank?: Rank, family?: string): never;
}

export interface AttributeSpec<K extends Key> {
  readonly code: number;
  readonly name: string;
  readonly key: K;
  /** Optional and Transitive bits as RFC 4271 §5 defines them for this attribute. */
  readonly flags: number;
  /** RFC 7606 §7 handling of a malformed value (also for a flags error, §3 c). */
  readonly malformed: Rank;
  /** RFC 7606 §7.5, §7.9, §7.10: silently discarded when received from an external peer. */
  readonly internalOnly?: boolean;
  decode(b: Uint8Array, s: number, e: number, env: AttrEnv): NonNullable<PathAttributes[K]>;
  encode(v: NonNullable<PathAttributes[K]>, w: Writer, ctx: CodecContext): void;
  format(v: NonNullable<PathAttributes[K]>): string;
}

const WELL_KNOWN = FLAG.TRANSITIVE;
const OPT_TRANS = FLAG.OPTIONAL | FLAG.TRANSITIVE;
const OPT_NON_TRANS = FLAG.OPTIONAL;

const lengthIs = (env: AttrEnv, s: number, e: number, n: number, name: string): void => {
  if (e - s !== n) env.fail(UPDATE_SUB.ATTRIBUTE_LENGTH, `${name} has length ${e - s}, expected ${n}`);
};
const multipleOf = (env: AttrEnv, s: number, e: number, n: number, name: string): void => {
  if (e === s || (e - s) % n !== 0) env.fail(UPDATE_SUB.ATTRIBUTE_LENGTH, `${name} has length ${e - s}, expected a non-zero multiple of ${n}`);
};

const u32Attr = <K extends 'med' | 'localPref'>(code: number, name: string, key: K, flags: number, internalOnly: boolean): AttributeSpec<K> => ({
  code, name, key, flags, malformed: 'treat-as-withdraw', internalOnly,
  decode: (b, s, e, env) => { lengthIs(env, s, e, 4, name); return u32(b, s) as NonNullable<PathAttributes[K]>; },
  encode: (v, w) => { w.u32(v as number); },
  format: (v) => `${name}: ${v}`,
});

function decodeAsPath(b: Uint8Array, s: number, e: number, wide: boolean, env: AttrEnv, name: string): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  const size = wide ? 4 : 2;
  let at = s;
  while (at < e) {
    if (at + 2 > e) env.fail(UPDATE_SUB.MALFORMED_AS_PATH, `${name} segment header runs past the attribute`);
    const type = SEGMENT_TYPE[b[at]!];
    const n = b[at + 1]!;
    if (type === undefined) env.fail(UPDATE_SUB.MALFORMED_AS_PATH, `${name} has segment type ${b[at]}, expected 1-4`);
    if (n === 0) env.fail(UPDATE_SUB.MALFORMED_AS_PATH, `${name} has an empty segment`);
    at += 2;
    if (at + n * size > e) env.fail(UPDATE_SUB.MALFORMED_AS_PATH, `${name} segment of ${n} ASes runs past the attribute`);
    const asns: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++, at += size) asns[i] = wide ? u32(b, at) : u16(b, at);
    out.push({ type: type!, asns });
  }
  return out;
}

function encodeAsPath(path: readonly AsPathSegment[], w: Writer, wide: boolean): void {
  for (const seg of path) {
    for (let i = 0; i < seg.asns.length || i === 0; i += 255) {
      const part = seg.asns.slice(i, i + 255);
      if (part.length === 0) break;
      w.u8(SEGMENT_CODE[seg.type]).u8(part.length);
      for (const a of part) if (wide) w.u32(a); else w.u16(a);
    }
  }
}

function decodeAggregator(b: Uint8Array, s: number, e: number, wide: boolean, env: AttrEnv, name: string): Aggregator {
  lengthIs(env, s, e, wide ? 8 : 6, name);
  return wide ? { as: u32(b, s), address: ipv4String(b, s + 4) } : { as: u16(b, s), address: ipv4String(b, s + 2) };
}

const formatCommunity = (c: number): string => {
  const named: Record<number, string> = { 0xffffff01: 'no-export', 0xffffff02: 'no-advertise', 0xffffff03: 'no-export-subconfed', 0xffff0000: 'graceful-shutdown' };
  return named[c] ?? `${c >>> 16}:${c & 0xffff}`;
};

/** Next hop octets → addresses: 4 (IPv4), 16 (IPv6) or 32 (IPv6 global + link-local, RFC 2545). */
function decodeNextHops(b: Uint8Array, s: number, n: number): string[] | undefined {
  if (n === 4) return [ipv4String(b, s)];
  if (n === 16) return [ipv6String(b, s)];
  if (n === 32) return [ipv6String(b, s), ipv6String(b, s + 16)];
  return undefined;
}

const ipFamily = (afi: number, safi: number): 4 | 6 | undefined =>
  (safi === 1 || safi === 2) ? (afi === AFI.IPV4 ? 4 : afi === AFI.IPV6 ? 6 : undefined) : undefined;

export const ATTRIBUTES = [
  {
    code: 1, name: 'ORIGIN', key: 'origin', flags: WELL_KNOWN, malformed: 'treat-as-withdraw',
    decode: (b, s, e, env) => {
      lengthIs(env, s, e, 1, 'ORIGIN');
      const v = b[s]!;
      if (v > 2) env.fail(UPDATE_SUB.INVALID_ORIGIN, `ORIGIN is ${v}, expected 0 (IGP), 1 (EGP) or 2 (INCOMPLETE)`);
      return v as Origin;
    },
    encode: (v, w) => { w.u8(v); },
    format: (v) => `ORIGIN: ${ORIGIN_NAME[v]}`,
  } satisfies AttributeSpec<'origin'>,
  {
    code: 2, name: 'AS_PATH', key: 'asPath', flags: WELL_KNOWN, malformed: 'treat-as-withdraw',
    decode: (b, s, e, env) => {
      const p = decodeAsPath(b, s, e, env.ctx.fourOctetAs, env, 'AS_PATH');
      // RFC 5065 §5: confederation segments from a peer outside our confederation (we are in
      // none: any external peer) make the AS_PATH malformed — treat-as-withdraw (RFC 7606 §7.2).
      if (env.ctx.external && p.some((x) => x.type.startsWith('confed'))) {
        env.fail(UPDATE_SUB.MALFORMED_AS_PATH, 'AS_PATH from an external peer carries confederation segments (RFC 5065 §5)');
      }
      return p;
    },
    encode: (v, w, ctx) => encodeAsPath(v, w, ctx.fourOctetAs),
    format: (v) => `AS_PATH: ${formatAsPath(v)}`,
  } satisfies AttributeSpec<'asPath'>,
  {
    code: 3, name: 'NEXT_HOP', key: 'nextHop', flags: WELL_KNOWN, malformed: 'treat-as-withdraw',
    decode: (b, s, e, env) => {
      lengthIs(env, s, e, 4, 'NEXT_HOP');
      const first = b[s]!;
      const all = u32(b, s);
      // RFC 4271 §6.3: syntactically a unicast host address (not 0.0.0.0, not class D/E).
      if (all === 0 || first >= 224) env.fail(UPDATE_SUB.INVALID_NEXT_HOP, `NEXT_HOP ${ipv4String(b, s)} is not a unicast address`);
      return ipv4String(b, s);
    },
    encode: (v, w) => { w.bytes(ipBytes(v, 4)); },
    format: (v) => `NEXT_HOP: ${v}`,
  } satisfies AttributeSpec<'nextHop'>,
  u32Attr(4, 'MULTI_EXIT_DISC', 'med', OPT_NON_TRANS, false),
  u32Attr(5, 'LOCAL_PREF', 'localPref', WELL_KNOWN, true),
  {
    code: 6, name: 'ATOMIC_AGGREGATE', key: 'atomicAggregate', flags: WELL_KNOWN, malformed: 'attribute-discard',
    decode: (_b, s, e, env) => { lengthIs(env, s, e, 0, 'ATOMIC_AGGREGATE'); return true as const; },
    encode: () => {},
    format: () => 'ATOMIC_AGGREGATE',
  } satisfies AttributeSpec<'atomicAggregate'>,
  {
    code: 7, name: 'AGGREGATOR', key: 'aggregator', flags: OPT_TRANS, malformed: 'attribute-discard',
    decode: (b, s, e, env) => decodeAggregator(b, s, e, env.ctx.fourOctetAs, env, 'AGGREGATOR'),
    encode: (v, w, ctx) => { if (ctx.fourOctetAs) w.u32(v.as); else w.u16(v.as); w.bytes(ipBytes(v.address, 4)); },
    format: (v) => `AGGREGATOR: AS${v.as} ${v.address}`,
  } satisfies AttributeSpec<'aggregator'>,
  {
    code: 8, name: 'COMMUNITIES', key: 'communities', flags: OPT_TRANS, malformed: 'treat-as-withdraw',
    decode: (b, s, e, env) => {
      multipleOf(env, s, e, 4, 'COMMUNITIES');
      const out: number[] = [];
      for (let at = s; at < e; at += 4) out.push(u32(b, at));
      return out;
    },
    encode: (v, w) => { for (const c of v) w.u32(c); },
    format: (v) => `COMMUNITIES: ${v.map(formatCommunity).join(' ')}`,
  } satisfies AttributeSpec<'communities'>,
  {
    code: 9, name: 'ORIGINATOR_ID', key: 'originatorId', flags: OPT_NON_TRANS, malformed: 'treat-as-withdraw', internalOnly: true,
    decode: (b, s, e, env) => { lengthIs(env, s, e, 4, 'ORIGINATOR_ID'); return ipv4String(b, s); },
    encode: (v, w) => { w.bytes(ipBytes(v, 4)); },
    format: (v) => `ORIGINATOR_ID: ${v}`,
  } satisfies AttributeSpec<'originatorId'>,
  {
    code: 10, name: 'CLUSTER_LIST', key: 'clusterList', flags: OPT_NON_TRANS, malformed: 'treat-as-withdraw', internalOnly: true,
    decode: (b, s, e, env) => {
      multipleOf(env, s, e, 4, 'CLUSTER_LIST');
      const out: string[] = [];
      for (let at = s; at < e; at += 4) out.push(ipv4String(b, at));
      return out;
    },
    encode: (v, w) => { for (const c of v) w.bytes(ipBytes(c, 4)); },
    format: (v) => `CLUSTER_LIST: ${v.join(' ')}`,
  } satisfies AttributeSpec<'clusterList'>,
  {
    code: 14, name: 'MP_REACH_NLRI', key: 'mpReach', flags: OPT_NON_TRANS, malformed: 'afi-safi-disable',
    decode: (b, s, e, env) => {
      // Without AFI, SAFI and next-hop length the family is unknown: only a reset is left (RFC 7606 §7.11).
      if (e - s < 5) env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_REACH_NLRI of length ${e - s} is too short`, 'session-reset');
      const afi = u16(b, s), safi = b[s + 2]!, nhLen = b[s + 3]!;
      const fam = familyKey(afi, safi);
      if (s + 4 + nhLen + 1 > e) env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_REACH_NLRI next hop of length ${nhLen} runs past the attribute`, 'afi-safi-disable', fam);
      const nlriStart = s + 4 + nhLen + 1; // + 1 reserved octet (RFC 4760 §3)
      const version = ipFamily(afi, safi);
      if (version === undefined) {
        return { afi, safi, nextHops: [], nlri: [], opaque: { nextHop: b.slice(s + 4, s + 4 + nhLen), nlri: b.slice(nlriStart, e) } };
      }
      const nextHops = decodeNextHops(b, s + 4, nhLen);
      if (nextHops === undefined || (version === 6 && nhLen === 4)) {
        env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_REACH_NLRI next hop length ${nhLen} does not fit AFI ${afi}`, 'afi-safi-disable', fam);
      }
      const nlri = decodePrefixes(b, nlriStart, e, version, env.ctx.addPath.has(fam),
        (why) => env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_REACH_NLRI: ${why}`, 'afi-safi-disable', fam));
      return { afi, safi, nextHops: nextHops!, nlri };
    },
    encode: (v, w, ctx) => {
      w.u16(v.afi).u8(v.safi);
      if (v.opaque) { w.u8(v.opaque.nextHop.length).bytes(v.opaque.nextHop).u8(0).bytes(v.opaque.nlri); return; }
      const hops = v.nextHops.map((h) => ipBytes(h, h.includes(':') ? 6 : 4));
      w.u8(hops.reduce((n, h) => n + h.length, 0));
      for (const h of hops) w.bytes(h);
      w.u8(0);
      const ap = ctx.addPath.has(familyKey(v.afi, v.safi));
      for (const p of v.nlri) encodePrefix(w, p, ap);
    },
    format: (v) => `MP_REACH_NLRI: ${familyKey(v.afi, v.safi)} via ${v.nextHops.join(' ') || '?'} ` +
      (v.opaque ? `(${v.opaque.nlri.length} octets)` : v.nlri.map(formatNlri).join(' ')),
  } satisfies AttributeSpec<'mpReach'>,
  {
    code: 15, name: 'MP_UNREACH_NLRI', key: 'mpUnreach', flags: OPT_NON_TRANS, malformed: 'afi-safi-disable',
    decode: (b, s, e, env) => {
      if (e - s < 3) env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_UNREACH_NLRI of length ${e - s} is too short`, 'session-reset');
      const afi = u16(b, s), safi = b[s + 2]!;
      const fam = familyKey(afi, safi);
      const version = ipFamily(afi, safi);
      if (version === undefined) return { afi, safi, withdrawn: [], opaque: b.slice(s + 3, e) };
      const withdrawn = decodePrefixes(b, s + 3, e, version, env.ctx.addPath.has(fam),
        (why) => env.fail(UPDATE_SUB.OPTIONAL_ATTRIBUTE, `MP_UNREACH_NLRI: ${why}`, 'afi-safi-disable', fam));
      return { afi, safi, withdrawn };
    },
    encode: (v, w, ctx) => {
      w.u16(v.afi).u8(v.safi);
      if (v.opaque) { w.bytes(v.opaque); return; }
      const ap = ctx.addPath.has(familyKey(v.afi, v.safi));
      for (const p of v.withdrawn) encodePrefix(w, p, ap);
    },
    format: (v) => `MP_UNREACH_NLRI: ${familyKey(v.afi, v.safi)} ${v.opaque ? `(${v.opaque.length} octets)` : v.withdrawn.map(formatNlri).join(' ')}`,
  } satisfies AttributeSpec<'mpUnreach'>,
  {
    code: 17, name: 'AS4_PATH', key: 'as4Path', flags: OPT_TRANS, malformed: 'attribute-discard',
    decode: (b, s, e, env) => {
      const p = decodeAsPath(b, s, e, true, env, 'AS4_PATH');
      if (p.some((x) => x.type.startsWith('confed'))) env.fail(UPDATE_SUB.MALFORMED_AS_PATH, 'AS4_PATH carries confederation segments (RFC 6793 §6)');
      return p;
    },
    encode: (v, w) => encodeAsPath(v, w, true),
    format: (v) => `AS4_PATH: ${formatAsPath(v)}`,
  } satisfies AttributeSpec<'as4Path'>,
  {
    code: 18, name: 'AS4_AGGREGATOR', key: 'as4Aggregator', flags: OPT_TRANS, malformed: 'attribute-discard',
    decode: (b, s, e, env) => decodeAggregator(b, s, e, true, env, 'AS4_AGGREGATOR'),
    encode: (v, w) => { w.u32(v.as).bytes(ipBytes(v.address, 4)); },
    format: (v) => `AS4_AGGREGATOR: AS${v.as} ${v.address}`,
  } satisfies AttributeSpec<'as4Aggregator'>,
  {
    code: 32, name: 'LARGE_COMMUNITY', key: 'largeCommunities', flags: OPT_TRANS, malformed: 'treat-as-withdraw',
    decode: (b, s, e, env) => {
      multipleOf(env, s, e, 12, 'LARGE_COMMUNITY');
      const out: LargeCommunity[] = [];
      for (let at = s; at < e; at += 12) out.push([u32(b, at), u32(b, at + 4), u32(b, at + 8)]);
      return out;
    },
    encode: (v, w) => { for (const [g, a, c] of v) w.u32(g).u32(a).u32(c); },
    format: (v) => `LARGE_COMMUNITY: ${v.map((c) => `${c[0]}:${c[1]}:${c[2]}`).join(' ')}`,
  } satisfies AttributeSpec<'largeCommunities'>,
] as const;

export type AnyAttributeSpec = AttributeSpec<Key>;
export const ATTRIBUTE_BY_CODE: ReadonlyMap<number, AnyAttributeSpec> =
  new Map((ATTRIBUTES as readonly unknown[] as readonly AnyAttributeSpec[]).map((a) => [a.code, a]));
/** Encoding order: MP_UNREACH and MP_REACH first, so a receiver can find them even if a later attribute is malformed (RFC 7606 §5.1), then by code. */
export const ENCODE_ORDER: readonly AnyAttributeSpec[] = [
  ATTRIBUTE_BY_CODE.get(15)!, ATTRIBUTE_BY_CODE.get(14)!,
  ...(ATTRIBUTES as readonly unknown[] as readonly AnyAttributeSpec[]).filter((a) => a.code !== 14 && a.code !== 15),
];

export function formatNlri(n: Nlri): string {
  let text: string;
  if (n.version === 4) {
    const v = Number(n.address);
    text = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  } else {
    const b = new Uint8Array(16);
    for (let i = 0; i < 16; i++) b[i] = Number((n.address >> BigInt((15 - i) * 8)) & 0xffn);
    text = ipv6String(b, 0);
  }
  return `${text}/${n.prefix}${n.pathId !== undefined ? `#${n.pathId}` : ''}`;
}

/** One line per attribute, in encoding order (for debug output and `tortie node status`). */
export function formatAttributes(attrs: PathAttributes): string[] {
  const out: string[] = [];
  for (const spec of ENCODE_ORDER) {
    const v = attrs[spec.key];
    if (v !== undefined) out.push(spec.format(v as never));
  }
  for (const u of attrs.unknown ?? []) out.push(`ATTRIBUTE ${u.code} flags 0x${u.flags.toString(16)} (${u.value.length} octets)`);
  return out;
}

