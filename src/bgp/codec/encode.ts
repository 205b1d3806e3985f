// Messages → bytes. Encoding a message larger than the session allows is a caller bug (the
// Adj-RIB-Out packs UPDATEs to fit), reported as TORTIE_ERR_INTERNAL_BUG.

import { TortieError } from '../../lib/errors.js';
import { ipBytes, Writer } from './_bytes.js';
import { splitAs4Aggregator, splitAs4Path } from './as-path.js';
import { ENCODE_ORDER, type PathAttributes } from './attributes.js';
import { encodeCapabilities } from './capabilities.js';
import { AFI, FLAG, HEADER_LENGTH, IPV4_UNICAST, MAX_MESSAGE_LENGTH, MESSAGE_TYPE } from './constants.js';
import type { CodecContext } from './context.js';
import type { Message, OpenMessage, UpdateMessage } from './messages.js';
import { encodePrefix } from './nlri.js';

const TYPE_OF: Readonly<Record<Message['type'], number>> = {
  open: MESSAGE_TYPE.OPEN, update: MESSAGE_TYPE.UPDATE, notification: MESSAGE_TYPE.NOTIFICATION,
  keepalive: MESSAGE_TYPE.KEEPALIVE, 'route-refresh': MESSAGE_TYPE.ROUTE_REFRESH,
};

export function encodeMessage(m: Message, ctx: CodecContext): Uint8Array {
  const w = new Writer(m.type === 'update' ? 512 : 64);
  for (let i = 0; i < 16; i++) w.u8(0xff);
  const lengthAt = w.slot(2);
  w.u8(TYPE_OF[m.type]);
  switch (m.type) {
    case 'open': encodeOpen(m, w); break;
    case 'update': encodeUpdateBody(m, w, ctx); break;
    case 'notification': w.u8(m.code).u8(m.subcode).bytes(m.data); break;
    case 'keepalive': break;
    case 'route-refresh': w.u16(m.afi).u8(m.subtype).u8(m.safi); break;
  }
  const max = m.type === 'open' || m.type === 'keepalive' ? MAX_MESSAGE_LENGTH : ctx.maxLength;
  if (w.length > max) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `A ${m.type} message of ${w.length} octets exceeds the ${max}-octet limit`, { length: w.length, max });
  w.patch(lengthAt, 2, w.length);
  return w.done();
}

function encodeOpen(m: OpenMessage, w: Writer): void {
  w.u8(m.version).u16(m.myAs).u16(m.holdTime);
  w.bytes(ipBytes(m.bgpId, 4));
  const caps = new Writer(64);
  encodeCapabilities(m.capabilities, caps);
  const body = caps.done();
  if (body.length === 0) { w.u8(0); return; }
  if (body.length + 2 <= 255) { w.u8(body.length + 2).u8(2).u8(body.length).bytes(body); return; }
  // RFC 9072: a long capability list uses the extended optional parameters length.
  w.u8(255).u8(255).u16(body.length + 3).u8(2).u16(body.length).bytes(body);
}

function encodeUpdateBody(m: UpdateMessage, w: Writer, ctx: CodecContext): void {
  const ap = ctx.addPath.has(IPV4_UNICAST);
  const wAt = w.slot(2);
  const w0 = w.length;
  for (const p of m.withdrawn) encodePrefix(w, p, ap);
  w.patch(wAt, 2, w.length - w0);
  const aAt = w.slot(2);
  const a0 = w.length;
  encodeAttributes(m.attributes, w, ctx);
  w.patch(aAt, 2, w.length - a0);
  for (const p of m.nlri) encodePrefix(w, p, ap);
}

/** Writes the path attributes in table order; a 2-octet-AS peer gets AS_TRANS plus AS4_* (RFC 6793 §4.2.2). */
export function encodeAttributes(attrs: PathAttributes, w: Writer, ctx: CodecContext): void {
  let a: PathAttributes = attrs;
  if (!ctx.fourOctetAs) {
    const { as4Path: _p, as4Aggregator: _g, ...rest } = attrs;
    const out: Record<string, unknown> = { ...rest };
    if (attrs.asPath) Object.assign(out, splitAs4Path(attrs.asPath));
    if (attrs.aggregator) Object.assign(out, splitAs4Aggregator(attrs.aggregator));
    a = out as PathAttributes;
  } else if (attrs.as4Path || attrs.as4Aggregator) {
    const { as4Path: _p, as4Aggregator: _g, ...rest } = attrs;
    a = rest;
  }
  const one = (flags: number, code: number, body: (x: Writer) => void): void => {
    const v = new Writer(64);
    body(v);
    const bytes = v.done();
    const ext = bytes.length > 255;
    w.u8(flags | (ext ? FLAG.EXTENDED : 0)).u8(code);
    if (ext) w.u16(bytes.length); else w.u8(bytes.length);
    w.bytes(bytes);
  };
  for (const spec of ENCODE_ORDER) {
    const v = a[spec.key];
    if (v === undefined) continue;
    one(spec.flags, spec.code, (x) => spec.encode(v as never, x, ctx));
  }
  // RFC 4271 §5: an unrecognised optional transitive attribute is passed on with Partial set.
  for (const u of a.unknown ?? []) one((u.flags & ~FLAG.EXTENDED) | FLAG.PARTIAL, u.code, (x) => x.bytes(u.value));
}

/** The path attributes as they go on the wire (UPDATE packing measures and groups by them). */
export function attributesBytes(attrs: PathAttributes, ctx: CodecContext): Uint8Array {
  const w = new Writer(256);
  encodeAttributes(attrs, w, ctx);
  return w.done();
}

/** Octets of an UPDATE around its attributes and IPv4 prefixes: header + two length fields. */
export const UPDATE_OVERHEAD = HEADER_LENGTH + 4;

/** RFC 4724 §2: End-of-RIB — an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === AFI.IPV4 && safi === 1) return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] };
}

/** The family an End-of-RIB marker closes, or undefined when the UPDATE is not one. */
export function endOfRibFamily(u: UpdateMessage): { afi: number; safi: number } | undefined {
  if (u.withdrawn.length > 0 || u.nlri.length > 0) return undefined;
  const keys = Object.keys(u.attributes);
  if (keys.length === 0) return { afi: AFI.IPV4, safi: 1 };
  const un = u.attributes.mpUnreach;
  if (keys.length === 1 && un && un.withdrawn.length === 0 && (un.opaque?.length ?? 0) === 0) return { afi: un.afi, safi: un.safi };
  return undefined;
}
