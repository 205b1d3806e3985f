// Splits a TCP byte stream into BGP messages (RFC 4271 §4.1: marker, 2-octet length, type).
// Never throws: a bad header yields one error frame, after which the stream cannot be trusted and
// the framer yields nothing more (the session sends the error's NOTIFICATION and closes).

import { checkHeader } from './decode.js';
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import type { WireError } from './wire-error.js';

export type Frame =
  | { readonly ok: true; readonly type: number; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: WireError };

export class Framer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private failed = false;

  /** `maxLength`: 4096 until both sides announced extended messages (RFC 8654), then 65535. */
  constructor(private maxLength: number = MAX_MESSAGE_LENGTH) {}

  setMaxLength(n: number): void { this.maxLength = n; }
  get broken(): boolean { return this.failed; }
  /** Octets received but not yet part of a whole message. */
  get pending(): number { return this.end - this.start; }

  push(chunk: Uint8Array): Frame[] {
    if (this.failed) return [];
    this.append(chunk);
    const out: Frame[] = [];
    while (this.end - this.start >= HEADER_LENGTH) {
      const length = checkHeader(this.buf, this.start, this.maxLength);
      if (typeof length !== 'number') {
        this.failed = true;
        this.buf = new Uint8Array(0);
        this.start = this.end = 0;
        out.push({ ok: false, error: length });
        break;
      }
      if (this.end - this.start < length) break;
      out.push({ ok: true, type: this.buf[this.start + 18]!, bytes: this.buf.slice(this.start, this.start + length) });
      this.start += length;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private append(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2, 4096));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
