// Bytes → messages. Never throws on bad input: every outcome is a decoded message (perhaps with
// RFC 7606 problems) or a WireError naming the NOTIFICATION to send.

import { Fault, ipv4String, u16, u32 } from './_bytes.js';
import { reconstructAs4 } from './as-path.js';
import { ATTRIBUTE_BY_CODE, type PathAttributes, type UnknownAttribute } from './attributes.js';
import { decodeCapabilities, type Capabilities } from './capabilities.js';
import {
  BGP_VERSION, ERR, FLAG, HEADER_LENGTH, HEADER_SUB, IPV4_UNICAST, MARKER_LENGTH, MAX_MESSAGE_LENGTH,
  MESSAGE_TYPE, MIN_LENGTH, OPEN_SUB, ROUTE_REFRESH_SUB, UPDATE_SUB,
} from './constants.js';
import type { CodecContext } from './context.js';
import type { DecodeResult, Message, OpenMessage, UpdateMessage } from './messages.js';
import { decodePrefixes } from './nlri.js';
import { EMPTY, wireError, type Rank, type WireError } from './wire-error.js';

const u16Bytes = (v: number): Uint8Array => new Uint8Array([(v >> 8) & 0xff, v & 0xff]);

/**
 * Checks the 19-octet header at `b[at]` (RFC 4271 §6.1). Returns the message length, or the error.
 * OPEN and KEEPALIVE stay within 4096 octets even when extended messages are negotiated (RFC 8654 §3).
 */
export function checkHeader(b: Uint8Array, at: number, maxLength: number): number | WireError {
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (b[at + i] !== 0xff) return wireError(ERR.HEADER, HEADER_SUB.NOT_SYNCHRONIZED, 'session-reset', 'The message marker is not all ones');
  }
  const length = u16(b, at + 16);
  const type = b[at + 18]!;
  const min = MIN_LENGTH[type];
  if (min === undefined) return wireError(ERR.HEADER, HEADER_SUB.BAD_TYPE, 'session-reset', `Message type ${type} is unknown, expected 1-5`, new Uint8Array([type]));
  const max = type === MESSAGE_TYPE.OPEN || type === MESSAGE_TYPE.KEEPALIVE ? Math.min(maxLength, MAX_MESSAGE_LENGTH) : maxLength;
  const exact = type === MESSAGE_TYPE.KEEPALIVE;
  // A ROUTE-REFRESH of the wrong length has its own error (RFC 7313 §5), reported by its decoder.
  if (length < HEADER_LENGTH || length > maxLength || (type !== MESSAGE_TYPE.ROUTE_REFRESH && (length < min || length > max || (exact && length !== min)))) {
    return wireError(ERR.HEADER, HEADER_SUB.BAD_LENGTH, 'session-reset', `Message length ${length} is out of bounds for type ${type} (${min}..${exact ? min : max})`, u16Bytes(length));
  }
  return length;
}

/** Decodes one whole message (header included), e.g. a frame from the `Framer`. */
export function decodeMessage(b: Uint8Array, ctx: CodecContext): DecodeResult {
  if (b.length < HEADER_LENGTH) {
    return { ok: false, error: wireError(ERR.HEADER, HEADER_SUB.BAD_LENGTH, 'session-reset', `Message of ${b.length} octets is shorter than a header`, u16Bytes(b.length)) };
  }
  const length = checkHeader(b, 0, ctx.maxLength);
  if (typeof length !== 'number') return { ok: false, error: length };
  if (length !== b.length) {
    return { ok: false, error: wireError(ERR.HEADER, HEADER_SUB.BAD_LENGTH, 'session-reset', `Header says ${length} octets, the frame has ${b.length}`, u16Bytes(length)) };
  }
  const problems: WireError[] = [];
  try {
    const message = decodeBody(b, b[18]!, ctx, problems);
    return { ok: true, message, problems };
  } catch (e) {
    if (e instanceof Fault) return { ok: false, error: e.error };
    throw e;
  }
}

function decodeBody(b: Uint8Array, type: number, ctx: CodecContext, problems: WireError[]): Message {
  switch (type) {
    case MESSAGE_TYPE.OPEN: return decodeOpen(b);
    case MESSAGE_TYPE.UPDATE: return decodeUpdate(b, ctx, problems);
    case MESSAGE_TYPE.NOTIFICATION: return { type: 'notification', code: b[19]!, subcode: b[20]!, data: b.slice(21) };
    case MESSAGE_TYPE.KEEPALIVE: return { type: 'keepalive' };
    default: {
      if (b.length !== 23) {
        throw new Fault(wireError(ERR.ROUTE_REFRESH, ROUTE_REFRESH_SUB.INVALID_LENGTH, 'session-reset', `ROUTE-REFRESH of ${b.length} octets, expected 23`, b.slice()));
      }
      return { type: 'route-refresh', afi: u16(b, 19), safi: b[22]!, subtype: b[21]! };
    }
  }
}

const openError = (subcode: number, reason: string, data: Uint8Array = EMPTY): Fault =>
  new Fault(wireError(ERR.OPEN, subcode, 'session-reset', reason, data));

function decodeOpen(b: Uint8Array): OpenMessage {
  const version = b[19]!;
  if (version !== BGP_VERSION) throw openError(OPEN_SUB.UNSUPPORTED_VERSION, `BGP version ${version}, expected 4`, u16Bytes(BGP_VERSION));
  const myAs = u16(b, 20);
  const holdTime = u16(b, 22);
  // RFC 4271 §6.2: a hold time of 1 or 2 seconds is unacceptable.
  if (holdTime === 1 || holdTime === 2) throw openError(OPEN_SUB.UNACCEPTABLE_HOLD_TIME, `Hold time ${holdTime}, expected 0 or at least 3`);
  if (u32(b, 24) === 0) throw openError(OPEN_SUB.BAD_BGP_IDENTIFIER, 'BGP identifier 0.0.0.0 is not valid');
  const bgpId = ipv4String(b, 24);
  let at = 29;
  let paramsEnd = at + b[28]!;
  let wide = false;
  // RFC 9072: Optional Parameters Length 255 with a first parameter type of 255 announces a
  // 2-octet length, and 2-octet parameter lengths follow.
  if (b[28] === 255 && b.length > 29 && b[29] === 255) {
    if (b.length < 32) throw openError(0, 'Extended optional parameters length is truncated');
    paramsEnd = 32 + u16(b, 30);
    at = 32;
    wide = true;
  }
  if (paramsEnd !== b.length) throw openError(0, `Optional parameters take ${paramsEnd - at} octets but the message has ${b.length - at}`);
  const caps: Record<string, unknown> = {};
  while (at < paramsEnd) {
    const hdr = wide ? 3 : 2;
    if (at + hdr > paramsEnd) throw openError(0, 'An optional parameter header runs past the parameters');
    const ptype = b[at]!;
    const plen = wide ? u16(b, at + 1) : b[at + 1]!;
    const s = at + hdr, e = s + plen;
    if (e > paramsEnd) throw openError(0, `Optional parameter ${ptype} runs past the parameters`);
    if (ptype !== 2) throw openError(OPEN_SUB.UNSUPPORTED_OPTIONAL_PARAMETER, `Optional parameter type ${ptype} is not supported, expected 2 (capabilities)`);
    decodeCapabilities(b, s, e, caps);
    at = e;
  }
  return { type: 'open', version, myAs, holdTime, bgpId, capabilities: caps as Capabilities };
}

const updateError = (subcode: number, reason: string, rank: Rank = 'session-reset', data: Uint8Array = EMPTY, attribute?: number): WireError =>
  wireError(ERR.UPDATE, subcode, rank, reason, data, attribute === undefined ? {} : { attribute });

function decodeUpdate(b: Uint8Array, ctx: CodecContext, problems: WireError[]): UpdateMessage {
  const end = b.length;
  const wlen = u16(b, 19);
  const wStart = 21, wEnd = wStart + wlen;
  if (wEnd + 2 > end) throw new Fault(updateError(UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `Withdrawn routes length ${wlen} runs past the message`));
  const ipv4AddPath = ctx.addPath.has(IPV4_UNICAST);
  const withdrawn = decodePrefixes(b, wStart, wEnd, 4, ipv4AddPath,
    (why) => updateError(UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `Withdrawn routes: ${why}`));
  const alen = u16(b, wEnd);
  const aStart = wEnd + 2, aEnd = aStart + alen;
  if (aEnd > end) throw new Fault(updateError(UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `Total path attribute length ${alen} runs past the message`));
  const attrs = decodeAttributes(b, aStart, aEnd, ctx, problems);
  // RFC 7606 §5.3: a malformed NLRI field cannot be withdrawn reliably: session reset.
  const nlri = decodePrefixes(b, aEnd, end, 4, ipv4AddPath,
    (why) => updateError(UPDATE_SUB.INVALID_NETWORK_FIELD, `NLRI: ${why}`));
  // RFC 7606 §3 d: missing well-known mandatory attributes → treat-as-withdraw.
  const reach = nlri.length > 0 || (attrs.mpReach !== undefined && (attrs.mpReach.nlri.length > 0 || (attrs.mpReach.opaque?.nlri.length ?? 0) > 0));
  if (reach && !problems.some((p) => p.rank === 'treat-as-withdraw')) {
    const missing = [attrs.origin === undefined ? 1 : 0, attrs.asPath === undefined ? 2 : 0, nlri.length > 0 && attrs.nextHop === undefined ? 3 : 0].filter((c) => c !== 0);
    for (const code of missing) {
      problems.push(updateError(UPDATE_SUB.MISSING_WELL_KNOWN, `Well-known mandatory attribute ${ATTRIBUTE_BY_CODE.get(code)!.name} is missing`, 'treat-as-withdraw', new Uint8Array([code]), code));
    }
  }
  return { type: 'update', withdrawn, attributes: attrs, nlri };
}

function decodeAttributes(b: Uint8Array, start: number, end: number, ctx: CodecContext, problems: WireError[]): PathAttributes {
  const attrs: Record<string, unknown> = {};
  const seen = new Set<number>();
  const unknown: UnknownAttribute[] = [];
  let at = start;
  while (at < end) {
    // RFC 7606 §4: an attribute header or value that overruns the attribute area → treat-as-withdraw.
    const flags = b[at]!;
    const hdr = flags & FLAG.EXTENDED ? 4 : 3;
    if (end - at < hdr) {
      problems.push(updateError(UPDATE_SUB.ATTRIBUTE_LENGTH, `An attribute header runs past the path attributes (${end - at} octets left)`, 'treat-as-withdraw'));
      break;
    }
    const code = b[at + 1]!;
    const len = hdr === 4 ? u16(b, at + 2) : b[at + 2]!;
    const vs = at + hdr, ve = vs + len;
    if (ve > end) {
      const mp = code === 14 || code === 15;
      problems.push(updateError(UPDATE_SUB.ATTRIBUTE_LENGTH, `Attribute ${code} of length ${len} runs past the path attributes`, mp ? 'session-reset' : 'treat-as-withdraw', b.slice(at, end), code));
      if (mp) throw new Fault(problems.pop()!);
      break;
    }
    const raw = (): Uint8Array => b.slice(at, ve);
    at = ve;
    const spec = ATTRIBUTE_BY_CODE.get(code);
    if (seen.has(code)) {
      // RFC 7606 §3 g: a repeated MP_REACH/MP_UNREACH resets the session; any other attribute,
      // recognised or not, keeps its first occurrence.
      const name = spec?.name ?? `Attribute ${code}`;
      if (code === 14 || code === 15) throw new Fault(updateError(UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `${name} appears more than once`, 'session-reset', EMPTY, code));
      problems.push(updateError(UPDATE_SUB.MALFORMED_ATTRIBUTE_LIST, `${name} appears more than once; the first is used`, 'attribute-discard', EMPTY, code));
      continue;
    }
    seen.add(code);
    if (spec === undefined) {
      if (!(flags & FLAG.OPTIONAL)) {
        throw new Fault(updateError(UPDATE_SUB.UNRECOGNIZED_WELL_KNOWN, `Well-known attribute ${code} is not recognised`, 'session-reset', b.slice(vs - hdr, ve), code));
      }
      // Unrecognised optional transitive: passed on (Partial set when sent); non-transitive: ignored.
      if (flags & FLAG.TRANSITIVE) unknown.push({ code, flags: flags & ~FLAG.EXTENDED, value: b.slice(vs, ve) });
      continue;
    }
    // RFC 7606 §3 c: conflicting Optional/Transitive bits make the attribute malformed. For the MP
    // attributes the family is not trusted yet, so that is a session reset.
    if ((flags & (FLAG.OPTIONAL | FLAG.TRANSITIVE)) !== spec.flags) {
      const rank: Rank = spec.malformed === 'afi-safi-disable' ? 'session-reset' : spec.malformed;
      const e = updateError(UPDATE_SUB.ATTRIBUTE_FLAGS, `${spec.name} has flags 0x${flags.toString(16)}, expected 0x${spec.flags.toString(16)}`, rank, raw(), code);
      if (rank === 'session-reset') throw new Fault(e);
      problems.push(e);
      continue;
    }
    if (spec.internalOnly && ctx.external) {
      problems.push(updateError(0, `${spec.name} from an external peer is discarded`, 'attribute-discard', EMPTY, code));
      continue;
    }
    try {
      attrs[spec.key] = spec.decode(b, vs, ve, {
        ctx,
        fail: (subcode, why, rank = spec.malformed, family) => {
          throw new Fault(wireError(ERR.UPDATE, subcode, rank, why, raw(), family === undefined ? { attribute: code } : { attribute: code, family }));
        },
      });
    } catch (e) {
      if (!(e instanceof Fault) || e.error.rank === 'session-reset') throw e;
      problems.push(e.error);
    }
  }
  if (unknown.length > 0) attrs.unknown = unknown;
  // RFC 6793 §4.1: between two 4-octet speakers AS4_* are discarded; from a 2-octet one they are merged.
  if (attrs.as4Path !== undefined || attrs.as4Aggregator !== undefined || (!ctx.fourOctetAs && attrs.asPath !== undefined)) {
    const { as4Path, as4Aggregator, ...rest } = attrs as PathAttributes & Record<string, unknown>;
    if (ctx.fourOctetAs) return rest as PathAttributes;
    const merged = reconstructAs4({ ...(rest as PathAttributes), as4Path, as4Aggregator } as PathAttributes);
    const out: Record<string, unknown> = { ...rest };
    if (merged.asPath !== undefined) out.asPath = merged.asPath;
    if (merged.aggregator !== undefined) out.aggregator = merged.aggregator;
    return out as PathAttributes;
  }
  return attrs as PathAttributes;
}
