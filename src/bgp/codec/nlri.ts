// NLRI prefixes (RFC 4271 §4.3: length in bits, then just enough octets), optionally preceded by a
// 4-octet path identifier when ADD-PATH is negotiated for the family (RFC 7911 §3).

import { maskOf, type CIDR } from '../../lib/ip.js';
import { fail, type Writer } from './_bytes.js';
import type { WireError } from './wire-error.js';

/** A prefix as carried in an UPDATE: a CIDR (host bits cleared) and, with ADD-PATH, its path ID. */
export interface Nlri extends CIDR {
  readonly pathId?: number;
}

/** Octets one prefix takes on the wire. */
export const nlriSize = (n: { readonly prefix: number }, addPath: boolean): number =>
  (addPath ? 4 : 0) + 1 + ((n.prefix + 7) >> 3);

/**
 * Decodes the prefixes in `b[start, end)`. `onError` builds the error for a malformed field (its
 * NOTIFICATION and rank depend on where the field sits: NLRI, Withdrawn Routes or MP_REACH).
 */
export function decodePrefixes(b: Uint8Array, start: number, end: number, version: 4 | 6, addPath: boolean,
  onError: (reason: string) => WireError): Nlri[] {
  const out: Nlri[] = [];
  const maxBits = version === 4 ? 32 : 128;
  let at = start;
  while (at < end) {
    let pathId: number | undefined;
    if (addPath) {
      if (at + 4 > end) fail(onError('a path identifier runs past the end of the field'));
      pathId = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
      at += 4;
    }
    if (at >= end) fail(onError('a prefix length octet is missing'));
    const bits = b[at++]!;
    if (bits > maxBits) fail(onError(`prefix length ${bits} is longer than ${maxBits}`));
    const n = (bits + 7) >> 3;
    if (at + n > end) fail(onError(`a /${bits} prefix needs ${n} octets but the field ends first`));
    let address: bigint;
    if (version === 4) {
      let v = 0;
      for (let i = 0; i < 4; i++) v = v * 256 + (i < n ? b[at + i]! : 0);
      // Trailing bits cleared here, in number arithmetic (a full table is 100,000s of prefixes).
      address = BigInt(bits === 0 ? 0 : (v & (0xffffffff << (32 - bits))) >>> 0);
    } else {
      let hi = 0n, lo = 0n;
      for (let i = 0; i < 16; i++) {
        const x = BigInt(i < n ? b[at + i]! : 0);
        if (i < 8) hi = (hi << 8n) | x; else lo = (lo << 8n) | x;
      }
      address = (hi << 64n) | lo;
    }
    at += n;
    // Trailing bits past the prefix length are irrelevant (RFC 4271 §4.3); clear them so equal
    // prefixes compare equal.
    if (version === 6) address &= maskOf(version, bits);
    out.push(pathId === undefined ? { version, address, prefix: bits } : { version, address, prefix: bits, pathId });
  }
  return out;
}

export function encodePrefix(w: Writer, n: Nlri, addPath: boolean): void {
  if (addPath) w.u32(n.pathId ?? 0);
  w.u8(n.prefix);
  const total = n.version === 4 ? 4 : 16;
  const octets = (n.prefix + 7) >> 3;
  for (let i = 0; i < octets; i++) w.u8(Number((n.address >> BigInt((total - 1 - i) * 8)) & 0xffn));
}
