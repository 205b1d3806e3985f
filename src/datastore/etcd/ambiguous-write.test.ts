import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KV, WriteOp } from '../ports.js';
import { earlierWrite, resolveAmbiguousWrite, type Resolution, type StoredKV } from './ambiguous-write.js';

const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const kv = (key: string, value: unknown, revision: number): KV & { raw: Buffer } => ({ key, value, revision, createRevision: 1, version: 2, raw: bytes(value) });

const ops: WriteOp[] = [
  { op: 'update', key: '/b', value: { n: 2 }, revision: 5 },
  { op: 'create', key: '/h', value: { h: 1 } },
  { op: 'delete', key: '/gone', revision: 4 },
];
const written = ops.map((o) => (o.op === 'delete' ? null : bytes(o.value)));

test('every key holds what the commit wrote, at one revision, and its deletes are gone: it was applied', () => {
  const r = earlierWrite(ops, written, new Map([['/b', kv('/b', { n: 2 }, 9)], ['/h', kv('/h', { h: 1 }, 9)]]), 12);
  assert.ok(r);
  assert.equal(r.revision, 9);
  assert.deepEqual(r.results.map((x) => [x.key, x.value, x.revision]), [['/b', { n: 2 }, 9], ['/h', { h: 1 }, 9], ['/gone', null, 4]]);
  assert.ok(!('raw' in r.results[0]!), 'no stored bytes leak into the result');
});

test('someone else wrote: not ours', () => {
  assert.equal(earlierWrite(ops, written, new Map([['/b', kv('/b', { n: 3 }, 9)], ['/h', kv('/h', { h: 1 }, 9)]]), 12), null, 'other bytes');
  assert.equal(earlierWrite(ops, written, new Map([['/b', kv('/b', { n: 2 }, 9)], ['/h', kv('/h', { h: 1 }, 10)]]), 12), null, 'two transactions');
  assert.equal(earlierWrite(ops, written, new Map([['/b', kv('/b', { n: 2 }, 9)]]), 12), null, 'a put key is missing');
  assert.equal(earlierWrite(ops, written, new Map([['/b', kv('/b', { n: 2 }, 9)], ['/h', kv('/h', { h: 1 }, 9)], ['/gone', kv('/gone', 1, 4)]]), 12), null, 'a deleted key is still there');
});

test('deletes only: gone is what was asked, at the revision read', () => {
  const r = earlierWrite([{ op: 'delete', key: '/x' }], [null], new Map(), 30);
  assert.deepEqual(r, { revision: 30, results: [{ key: '/x', value: null, revision: 30, createRevision: 0, version: 0 }] });
});

/** A store's history: key → versions (revision ascending); readAt gives the latest at or before a revision. */
function history(h: Record<string, Array<[number, unknown] | [number, null]>>): { readAt: (k: string, r: number) => Promise<StoredKV | null>; now: Map<string, StoredKV>; reads: number } {
  const state = { reads: 0 };
  const at = (k: string, r: number): StoredKV | null => {
    const v = [...(h[k] ?? [])].reverse().find(([rev]) => rev <= r);
    return v && v[1] !== null ? kv(k, v[1], v[0]) : null;
  };
  const now = new Map<string, StoredKV>();
  for (const k of Object.keys(h)) { const x = at(k, Infinity); if (x) now.set(k, x); }
  return { readAt: async (k, r) => { state.reads++; return at(k, r); }, now, get reads() { return state.reads; } };
}

const applied = (r: Resolution) => { assert.ok('applied' in r, JSON.stringify(r)); return r.applied; };

test('history: our write at r, then another writer changed the block — still ours, found by walking the created key', async () => {
  // Our commit: block /b from rev 5 to {n: 2}, create handle /h. Applied at 9; another allocation rewrote /b at 11.
  const h = history({ '/b': [[5, { n: 1 }], [9, { n: 2 }], [11, { n: 3 }]], '/h': [[9, { h: 1 }]] });
  const r = applied(await resolveAmbiguousWrite(ops.slice(0, 2), written.slice(0, 2), h.now, 12, 7, h.readAt));
  assert.equal(r.revision, 9);
  assert.deepEqual(r.results.map((x) => [x.key, x.value, x.revision]), [['/b', { n: 2 }, 9], ['/h', { h: 1 }, 9]]);
});

test('history: our bytes at r on one key only, or only before the floor — not applied', async () => {
  // /h got our bytes at 9 but /b did not change at 9: not one transaction of ours.
  const apart = history({ '/b': [[5, { n: 1 }], [10, { n: 2 }]], '/h': [[9, { h: 1 }]] });
  assert.deepEqual(await resolveAmbiguousWrite(ops.slice(0, 2), written.slice(0, 2), apart.now, 12, 7, apart.readAt), { notApplied: true });
  // A matching transaction at 6, before anything this client could have sent: not ours.
  const old = history({ '/b': [[5, { n: 1 }], [6, { n: 2 }], [11, { n: 3 }]], '/h': [[6, { h: 1 }], [10, null], [11, { h: 2 }]] });
  assert.deepEqual(await resolveAmbiguousWrite(ops.slice(0, 2), written.slice(0, 2), old.now, 12, 7, old.readAt), { notApplied: true });
});

test('history: deletes must have happened at r', async () => {
  const withDelete = history({ '/b': [[5, { n: 1 }], [9, { n: 2 }], [11, { n: 3 }]], '/h': [[9, { h: 1 }]], '/gone': [[4, 1], [9, null]] });
  assert.equal(applied(await resolveAmbiguousWrite(ops, written, withDelete.now, 12, 7, withDelete.readAt)).revision, 9);
  const deletedLater = history({ '/b': [[5, { n: 1 }], [9, { n: 2 }], [11, { n: 3 }]], '/h': [[9, { h: 1 }]], '/gone': [[4, 1], [10, null]] });
  assert.deepEqual(await resolveAmbiguousWrite(ops, written, deletedLater.now, 12, 7, deletedLater.readAt), { notApplied: true });
});

test('history: an update is its key\'s next version after the compared revision — found by binary search however many writers came after', async () => {
  const u: WriteOp[] = [{ op: 'update', key: '/b', value: { n: 2 }, revision: 5 }];
  const after = Array.from({ length: 5000 }, (_, i) => [10 + i, { n: 3 + i }] as [number, unknown]);
  const ours = history({ '/b': [[5, { n: 1 }], [9, { n: 2 }], ...after] });
  const r = applied(await resolveAmbiguousWrite(u, [bytes({ n: 2 })], ours.now, 6000, 6, ours.readAt));
  assert.equal(r.revision, 9);
  assert.ok(ours.reads <= 20, `${ours.reads} reads`);
  // Another writer's version came first: ours cannot have been applied after it (the compare was on 5).
  const theirs = history({ '/b': [[5, { n: 1 }], [8, { n: 2, by: 'other' }], ...after] });
  assert.deepEqual(await resolveAmbiguousWrite(u, [bytes({ n: 2 })], theirs.now, 6000, 6, theirs.readAt), { notApplied: true });
});

test('history: compacted is unknown; a read that fails for another reason is thrown', async () => {
  const u: WriteOp[] = [{ op: 'update', key: '/b', value: { n: 2 }, revision: 5 }];
  const h = history({ '/b': [[5, { n: 1 }], [10, { n: 9 }]] });
  const compacted = async (): Promise<StoredKV | null> => { throw new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'); };
  const c = await resolveAmbiguousWrite(u, [bytes({ n: 2 })], h.now, 200, 5, compacted);
  assert.ok('unknown' in c && /compacted/.test(c.unknown), JSON.stringify(c));
  const down = async (): Promise<StoredKV | null> => { throw new Error('14 UNAVAILABLE: etcdserver: no leader'); };
  await assert.rejects(resolveAmbiguousWrite(u, [bytes({ n: 2 })], h.now, 200, 5, down), /no leader/);
});
