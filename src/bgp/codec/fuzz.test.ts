// Fuzzing the decoder and framer: seeded random and mutated messages (bit flips, truncation, length
// fields that lie, attribute flag changes, spliced/nested parts of other messages). Every outcome
// must be a decoded message or a WireError with a NOTIFICATION code; no exception may escape.
// BGP_FUZZ_COUNT (default a million, ~5 s) and BGP_FUZZ_SEED choose the run.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isTortieError } from '../../lib/errors.js';
import { SAMPLES } from './_samples.js';
import { prng } from '../../../test/support/prng.js';
import {
  contextWith, decodeMessage, encodeMessage, Framer, fromHex, hex, isWireError, routeChanges, type CodecContext, type DecodeResult,
} from './index.js';

const COUNT = Number(process.env.BGP_FUZZ_COUNT ?? 1_000_000);
const SEED = Number(process.env.BGP_FUZZ_SEED ?? 0x7047);
const fixture = (name: string): string[] => Object.values((JSON.parse(readFileSync(
  new URL(`../../../../src/bgp/codec/fixtures/${name}.json`, import.meta.url), 'utf8')) as { sessions: Record<string, string[]> }).sessions).flat();
const CRASHES = JSON.parse(readFileSync(new URL('../../../../src/bgp/codec/fixtures/fuzz-crashes.json', import.meta.url), 'utf8')) as string[];


const CONTEXTS: CodecContext[] = [
  contextWith({ fourOctetAs: true }),
  contextWith({ fourOctetAs: false }),
  contextWith({ fourOctetAs: true, maxLength: 65535, addPath: new Set(['1/1', '2/1'] as const) }),
  contextWith({ fourOctetAs: true, external: true, addPath: new Set(['1/1'] as const) }),
];

const corpus: Uint8Array[] = [
  ...SAMPLES.flatMap((m) => CONTEXTS.slice(0, 3).map((c) => { try { return encodeMessage(m, c); } catch { return undefined; } }))
    .filter((x): x is Uint8Array => x !== undefined),
  ...fixture('bird2').map(fromHex), ...fixture('gobgp').map(fromHex),
];

function setLength(b: Uint8Array): Uint8Array {
  if (b.length >= 19) { b[16] = (b.length >> 8) & 0xff; b[17] = b.length & 0xff; }
  return b;
}

function mutate(r: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(r() * n);
  const base = corpus[int(corpus.length)]!;
  let b: Uint8Array = base.slice();
  const rounds = 1 + int(3);
  for (let k = 0; k < rounds; k++) {
    switch (int(9)) {
      case 0: { const n = 1 + int(8); for (let i = 0; i < n; i++) { const at = r() < 0.9 ? 19 + int(Math.max(1, b.length - 19)) : int(b.length); if (at < b.length) b[at]! ^= 1 << int(8); } break; }
      case 1: b = setLength(b.slice(0, 19 + int(Math.max(1, b.length - 19)))); break; // truncate, header fixed
      case 2: b = r() < 0.2 ? b.slice(0, int(b.length + 1)) : setLength(b.slice(0, int(b.length + 1))); break; // truncate, header lies 1 in 5
      case 3: { const at = 19 + int(Math.max(1, b.length - 20)); if (at + 1 < b.length) { const v = int(3) === 0 ? 0xffff : int(b.length * 2); b[at] = v >> 8; b[at + 1] = v & 0xff; } break; } // an inner length lies
      case 4: { // attribute flag change: flip a likely flags octet (0x40/0x80/0xc0/0x90…)
        for (let i = 23; i < b.length; i++) if ((b[i]! & 0x0f) === 0 && b[i]! >= 0x40 && r() < 0.3) { b[i] = [0x00, 0x40, 0x80, 0xc0, 0xd0, 0x50, 0xe0][int(7)]!; break; }
        break;
      }
      case 5: { // nesting: splice part of another message into this one, then fix the header
        const other = corpus[int(corpus.length)]!;
        const s = int(other.length), e = s + int(other.length - s + 1);
        const at = Math.min(b.length, 19 + int(Math.max(1, b.length - 18)));
        const out = new Uint8Array(b.length + (e - s));
        out.set(b.subarray(0, at)); out.set(other.subarray(s, e), at); out.set(b.subarray(at), at + (e - s));
        b = setLength(out);
        break;
      }
      case 6: { const at = 19 + int(Math.max(1, b.length - 19)); if (at < b.length) b[at] = [0, 1, 0xff, 0x7f, 0x80, 32, 33, 128, 129][int(9)]!; break; }
      case 7: { // random body behind a valid header
        const len = int(200);
        const out = new Uint8Array(19 + len).fill(0xff);
        out[18] = 1 + int(5);
        for (let i = 19; i < out.length; i++) out[i] = int(256);
        b = setLength(out);
        break;
      }
      default: { const at = int(b.length); b = setLength(Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + int(8)), ...b.subarray(at)])); } // duplicate a run
    }
  }
  return b;
}

function checkOutcome(res: DecodeResult): void {
  if (res.ok) {
    if (typeof res.message.type !== 'string') throw new Error('decoded message without a type');
    for (const p of res.problems) if (!isWireError(p) || p.rank === 'session-reset') throw new Error('bad problem');
  } else if (!isWireError(res.error) || res.error.code < 1 || res.error.code > 7) {
    throw new Error(`error without a NOTIFICATION: ${JSON.stringify(res.error)}`);
  }
}

test('the regression corpus (edge cases and any input that ever crashed the decoder) decodes without throwing', () => {
  for (const h of CRASHES) for (const c of CONTEXTS) {
    const res = decodeMessage(fromHex(h), c);
    checkOutcome(res);
    if (res.ok && res.message.type === 'update') routeChanges(res.message, res.problems);
  }
});

test(`${COUNT} random and mutated messages: no exception escapes the decoder or the framer`, () => {
  const r = prng(SEED);
  const started = performance.now();
  const tally = { ok: 0, problems: 0, errors: 0 };
  const kinds = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) {
    const b = mutate(r);
    const ctx = CONTEXTS[i & 3]!;
    let res: DecodeResult;
    try {
      res = decodeMessage(b, ctx);
      checkOutcome(res);
      if (res.ok && i % 4 === 0) { // what decodes can be interpreted and encoded again
        if (res.message.type === 'update') routeChanges(res.message, res.problems);
        try { encodeMessage(res.message, { ...ctx, maxLength: 65535 }); } catch (e) { if (!isTortieError(e, 'TORTIE_ERR_INTERNAL_BUG') || e.details.max === undefined) throw e; }
      }
      if (i % 16 === 0) { // the framer, fed in random chunks
        const f = new Framer(ctx.maxLength);
        for (let at = 0; at < b.length;) { const n = 1 + Math.floor(r() * 40); f.push(b.subarray(at, at + n)); at += n; }
      }
    } catch (e) {
      assert.fail(`input ${hex(b)} (context ${i & 3}) threw: ${(e as Error).stack ?? String(e)}`);
    }
    if (!res.ok) { tally.errors++; const k = `${res.error.code}/${res.error.subcode}`; kinds.set(k, (kinds.get(k) ?? 0) + 1); } else if (res.problems.length) tally.problems++; else tally.ok++;
  }
  const ms = performance.now() - started;
  console.log(`# fuzz: ${COUNT} messages in ${(ms / 1000).toFixed(1)} s — ${tally.ok} clean, ${tally.problems} with RFC 7606 problems, ${tally.errors} errors`);
  console.log(`# errors by NOTIFICATION code/subcode: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}:${n}`).join(' ')}`);
  assert.ok(tally.ok > 0 && tally.errors > 0 && tally.problems > 0, 'the mutations reach every outcome');
});
