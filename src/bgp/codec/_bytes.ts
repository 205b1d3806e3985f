// Byte plumbing private to the codec: a growable writer, bounds-checked reads that raise a `Fault`
// (a plain class, not an Error, so throwing it costs no stack capture), and address helpers.

import { TortieError } from '../../lib/errors.js';
import { formatIP, parseIP, type IP } from '../../lib/ip.js';
import type { WireError } from './wire-error.js';

/** Raised inside the decoder and caught at its entry points; never escapes the codec. */
export class Fault {
  constructor(readonly error: WireError) {}
}

export const fail = (error: WireError): never => { throw new Fault(error); };

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this { this.room(1); this.buf[this.length++] = v & 0xff; return this; }
  u16(v: number): this { this.room(2); this.view.setUint16(this.length, v); this.length += 2; return this; }
  u32(v: number): this { this.room(4); this.view.setUint32(this.length, v >>> 0); this.length += 4; return this; }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.length); this.length += b.length; return this; }
  /** Reserves a 1- or 2-octet length slot; returns its offset for `patch`. */
  slot(width: 1 | 2): number { const at = this.length; if (width === 1) this.u8(0); else this.u16(0); return at; }
  patch(at: number, width: 1 | 2, v: number): void {
    if (width === 1) this.buf[at] = v; else this.view.setUint16(at, v);
  }
  done(): Uint8Array { return this.buf.slice(0, this.length); }
}

export const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
export const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

export function ipv4String(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function ipv6String(b: Uint8Array, at: number): string {
  let v = 0n;
  for (let i = 0; i < 16; i += 4) v = (v << 32n) | BigInt(u32(b, at + i));
  return formatIP({ version: 6, value: v });
}

/** Parses an address string of the given version, or raises the given error. */
export function ipBytes(s: string, version: 4 | 6): Uint8Array {
  const ip: IP | null = parseIP(s);
  if (ip === null || ip.version !== version) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `Expected an IPv${version} address to encode, got ${JSON.stringify(s)}`);
  const n = version === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  let v = ip.value;
  for (let i = n - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** Numeric value of a dotted-quad (router IDs, ORIGINATOR_ID, cluster IDs). */
export function ipv4Number(s: string): number {
  const b = ipBytes(s, 4);
  return u32(b, 0);
}

export function ipv4FromNumber(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
