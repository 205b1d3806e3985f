import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLES } from './_samples.js';
import { contextWith, decodeMessage, encodeMessage, Framer, fromHex } from './index.js';

const ctx = contextWith({ fourOctetAs: true });
const stream = (): Uint8Array => {
  const parts = SAMPLES.map((m) => encodeMessage(m, ctx));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

test('splits a stream into messages however it is chunked', () => {
  const all = stream();
  for (const size of [1, 2, 7, 19, 100, all.length]) {
    const f = new Framer();
    const frames = [];
    for (let i = 0; i < all.length; i += size) frames.push(...f.push(all.subarray(i, i + size)));
    assert.equal(frames.length, SAMPLES.length, `chunk size ${size}`);
    assert.ok(frames.every((x) => x.ok));
    assert.equal(f.pending, 0);
    const decoded = frames.map((x) => (x.ok ? decodeMessage(x.bytes, ctx) : undefined));
    assert.deepEqual(decoded.map((d) => d?.ok && d.message.type), SAMPLES.map((m) => m.type));
  }
});

test('a bad marker yields one error frame, then nothing', () => {
  const f = new Framer();
  const bad = encodeMessage({ type: 'keepalive' }, ctx);
  bad[0] = 0;
  const out = f.push(bad);
  assert.equal(out.length, 1);
  assert.ok(!out[0]!.ok && out[0]!.error.code === 1 && out[0]!.error.subcode === 1);
  assert.equal(f.broken, true);
  assert.deepEqual(f.push(encodeMessage({ type: 'keepalive' }, ctx)), []);
});

test('length bounds: under 19, over 4096 unless extended, KEEPALIVE exactly 19', () => {
  const hdr = (len: number, type: number): Uint8Array => fromHex(`${'ff'.repeat(16)}${len.toString(16).padStart(4, '0')}0${type}`);
  for (const [len, type, max] of [[18, 2, 4096], [4097, 2, 4096], [20, 4, 4096], [4097, 1, 65535], [28, 1, 4096]] as const) {
    const out = new Framer(max).push(hdr(len, type));
    assert.ok(out.length === 1 && !out[0]!.ok && out[0]!.error.subcode === 2, `length ${len} type ${type}`);
  }
  const f = new Framer(65535);
  assert.deepEqual(f.push(hdr(5000, 2)), [], 'an UPDATE of 5000 octets waits for its body when extended messages are on');
  assert.equal(f.pending, 19);
});
