// The one contract every Store backend passes. Each backend's test file calls
// `storeContract(backend)`; tests isolate themselves by key prefix so they can share one store.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it, before, after } from 'node:test';
import type { DatastoreConfig } from '../../src/datastore/config.js';
import { Syncer, type SyncStatus } from '../../src/datastore/syncer/index.js';
import type { KV, Store, WatchEvent } from '../../src/datastore/ports.js';
import { isTortieError, type ErrorCode } from '../../src/lib/errors.js';

const run = promisify(execFile);

export interface Backend {
  readonly name: string;
  /** A new client of the same store. */
  open(): Promise<Store>;
  /** How another process opens the same store; absent when the store lives in this process only. */
  readonly config?: DatastoreConfig;
  /** Restarts the server under the clients; absent for serverless backends. */
  restart?(): Promise<void>;
}

export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(isTortieError(e), `expected a TortieError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e.details as Record<string, unknown>;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Reads `n` events from a watch, failing after `ms`. */
export async function take(it: AsyncIterable<WatchEvent>, n: number, ms = 10_000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  if (n === 0) return out;
  const iter = it[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms with ${out.length}/${n} events`)), ms);
  });
  try {
    while (out.length < n) {
      const r = await Promise.race([iter.next(), timeout]);
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

const workerPath = fileURLToPath(new URL('./cas-worker.js', import.meta.url));

export function storeContract(backend: Backend): void {
  describe(`Store contract: ${backend.name}`, () => {
    let s: Store;
    let p: string; // this test's key prefix
    before(async () => { s = await backend.open(); });
    after(async () => { await s.close(); });
    const fresh = (): string => (p = `/tt/${randomUUID()}/`);

    it('creates, reads back and refuses a second create with the current value', async () => {
      fresh();
      const r0 = await s.revision();
      const kv = await s.create(`${p}a`, { x: 1, nested: { list: [1, 'two', null], uni: 'ü✓' } });
      assert.ok(kv.revision > r0);
      assert.equal(kv.createRevision, kv.revision);
      assert.equal(kv.version, 1);
      const got = await s.get(`${p}a`);
      assert.deepEqual(got, kv);
      const d = await rejectsWith(s.create(`${p}a`, { x: 2 }), 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS');
      assert.deepEqual((d['current'] as KV).value, kv.value);
      assert.deepEqual((await s.get(`${p}a`)).value, kv.value);
    });

    it('updates only at the current revision and keeps the create revision', async () => {
      fresh();
      const a = await s.create(`${p}k`, { v: 1 });
      const b = await s.update(`${p}k`, { v: 2 }, a.revision);
      assert.ok(b.revision > a.revision);
      assert.equal(b.createRevision, a.createRevision);
      assert.equal(b.version, 2);
      const d = await rejectsWith(s.update(`${p}k`, { v: 3 }, a.revision), 'TORTIE_ERR_DATASTORE_CONFLICT');
      assert.equal((d['current'] as KV).revision, b.revision);
      assert.deepEqual((await s.get(`${p}k`)).value, { v: 2 });
      await rejectsWith(s.update(`${p}missing`, { v: 1 }, a.revision), 'TORTIE_ERR_DATASTORE_NOT_FOUND');
      await rejectsWith(s.get(`${p}missing`), 'TORTIE_ERR_DATASTORE_NOT_FOUND');
    });

    it('deletes with and without a revision, and returns what was deleted', async () => {
      fresh();
      const a = await s.create(`${p}a`, { v: 'a' });
      const b = await s.create(`${p}b`, { v: 'b' });
      await rejectsWith(s.delete(`${p}a`, a.revision - 1), 'TORTIE_ERR_DATASTORE_CONFLICT');
      assert.deepEqual((await s.delete(`${p}a`, a.revision)).value, { v: 'a' });
      assert.equal((await s.delete(`${p}b`)).revision, b.revision);
      await rejectsWith(s.delete(`${p}b`), 'TORTIE_ERR_DATASTORE_NOT_FOUND');
      await rejectsWith(s.get(`${p}a`), 'TORTIE_ERR_DATASTORE_NOT_FOUND');
      // A re-created key starts a new life: version 1, new create revision.
      const c = await s.create(`${p}a`, { v: 'again' });
      assert.equal(c.version, 1);
      assert.ok(c.createRevision > a.createRevision);
    });

    it('lists by prefix, sorted by key, at a revision', async () => {
      fresh();
      for (const k of ['c', 'a', 'b/x', 'b']) await s.create(`${p}${k}`, { k });
      await s.create(`${p.slice(0, -1)}-other`, { k: 'outside the prefix' });
      const l = await s.list(p);
      assert.deepEqual(l.items.map((kv) => kv.key.slice(p.length)), ['a', 'b', 'b/x', 'c']);
      assert.ok(l.revision >= Math.max(...l.items.map((kv) => kv.revision)));
      assert.deepEqual((await s.list(`${p}b`)).items.map((kv) => kv.key.slice(p.length)), ['b', 'b/x']);
      assert.deepEqual((await s.list(`${p}zzz`)).items, []);
    });

    it('commits several ops atomically: all, or none when one precondition fails', async () => {
      fresh();
      const a = await s.create(`${p}a`, { n: 1 });
      const r = await s.commit([
        { op: 'update', key: `${p}a`, value: { n: 2 }, revision: a.revision },
        { op: 'create', key: `${p}b`, value: { n: 1 } },
      ]);
      assert.equal(r.results.length, 2);
      assert.ok(r.results.every((kv) => kv.revision === r.revision));
      const before = await s.revision();
      const d = await rejectsWith(s.commit([
        { op: 'create', key: `${p}c`, value: { n: 1 } },
        { op: 'update', key: `${p}a`, value: { n: 3 }, revision: a.revision }, // stale
        { op: 'delete', key: `${p}b` },
      ]), 'TORTIE_ERR_DATASTORE_CONFLICT');
      assert.equal(d['key'], `${p}a`);
      assert.equal(await s.revision(), before, 'a failed commit must not bump the revision');
      await rejectsWith(s.get(`${p}c`), 'TORTIE_ERR_DATASTORE_NOT_FOUND');
      assert.deepEqual((await s.get(`${p}a`)).value, { n: 2 });
      assert.deepEqual((await s.get(`${p}b`)).value, { n: 1 });
    });

    it('watches: replays history from a revision, then follows live, with old and new values', async () => {
      fresh();
      const a = await s.create(`${p}a`, { v: 1 });
      const a2 = await s.update(`${p}a`, { v: 2 }, a.revision);
      await s.create(`${p.slice(0, -1)}x/outside`, { v: 0 });
      const ac = new AbortController();
      const w = s.watch(p, a.revision, { signal: ac.signal });
      const first = await take(w, 2);
      assert.deepEqual(first.map((e) => [e.type, e.revision]), [['create', a.revision], ['update', a2.revision]]);
      assert.equal(first[1]!.old!.revision, a.revision);
      assert.deepEqual(first[1]!.new!.value, { v: 2 });
      const other = await backend.open(); // live events written by another client
      try {
        await other.delete(`${p}a`);
        await other.commit([{ op: 'create', key: `${p}b`, value: 1 }, { op: 'create', key: `${p}c`, value: 2 }]);
      } finally {
        await other.close();
      }
      const live = await take(w, 3);
      assert.deepEqual(live.map((e) => [e.type, e.key.slice(p.length)]), [['delete', 'a'], ['create', 'b'], ['create', 'c']]);
      assert.deepEqual(live[0]!.old!.value, { v: 2 });
      assert.equal(live[0]!.new, null);
      assert.equal(live[1]!.revision, live[2]!.revision, 'one commit, one revision');
      ac.abort();
      assert.deepEqual(await take(w, 1, 5000), [], 'an aborted watch ends');
    });

    it('fails a watch from a compacted revision with COMPACTED, and serves one from after it', async () => {
      fresh();
      const a = await s.create(`${p}a`, { v: 1 });
      const b = await s.update(`${p}a`, { v: 2 }, a.revision);
      await s.compact(b.revision);
      const iter = s.watch(p, a.revision)[Symbol.asyncIterator]();
      await rejectsWith(iter.next(), 'TORTIE_ERR_DATASTORE_COMPACTED');
      const ok = s.watch(p, b.revision);
      const [e] = await take(ok, 1);
      assert.equal(e!.revision, b.revision);
      await ok[Symbol.asyncIterator]().return?.();
    });

    /** A consumer view fed by a syncer: key → value, built only from update values. */
    function consumer(): { view: Map<string, unknown>; statuses: SyncStatus[]; until(pred: () => boolean, ms?: number): Promise<void> } {
      const view = new Map<string, unknown>();
      const statuses: SyncStatus[] = [];
      return {
        view, statuses,
        async until(pred, ms = 15_000) {
          const end = performance.now() + ms;
          while (!pred()) {
            if (performance.now() > end) assert.fail(`condition not met in ${ms} ms; view=${JSON.stringify([...view])} statuses=${statuses.join(',')}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      };
    }
    const fastSleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((r) => {
      const t = setTimeout(r, Math.min(ms, 50)); signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
    });

    it('syncer: lists, then follows every change; the view equals the store', async () => {
      fresh();
      await s.create(`${p}a`, { v: 1 });
      await s.create(`${p}b`, { v: 1 });
      const c = consumer();
      const syncer = new Syncer({
        store: s, prefixes: [p], sleep: fastSleep,
        events: {
          onUpdates: (us) => { for (const u of us) u.value === null ? c.view.delete(u.key) : c.view.set(u.key, u.value); },
          onStatus: (st) => c.statuses.push(st),
        },
      });
      syncer.start();
      try {
        await c.until(() => c.statuses.includes('in-sync') && c.view.size === 2);
        const b = await s.get(`${p}b`);
        await s.update(`${p}b`, { v: 2 }, b.revision);
        await s.delete(`${p}a`);
        await s.create(`${p}c`, { v: 3 });
        await c.until(() => c.view.size === 2 && (c.view.get(`${p}c`) as { v: number } | undefined)?.v === 3);
        assert.deepEqual([...c.view.entries()].sort(), [[`${p}b`, { v: 2 }], [`${p}c`, { v: 3 }]]);
        assert.deepEqual(c.statuses, ['wait-for-datastore', 'in-sync']);
      } finally {
        await syncer.stop();
      }
    });

    it('syncer: resuming from a compacted revision recovers by re-listing, deletes included', async () => {
      fresh();
      const a = await s.create(`${p}a`, { v: 1 });
      const gone = await s.create(`${p}gone`, { v: 1 });
      // The state a consumer cached before it went away...
      const entries = new Map([[a.key, { value: a.value, revision: a.revision }], [gone.key, { value: gone.value, revision: gone.revision }]]);
      const cachedAt = gone.revision;
      // ...then, while it was away: changes, and a compaction past its revision.
      const a2 = await s.update(`${p}a`, { v: 2 }, a.revision);
      await s.delete(`${p}gone`);
      await s.create(`${p}new`, { v: 1 });
      await s.compact(await s.revision());
      const c = consumer();
      for (const [k, v] of entries) c.view.set(k, v.value);
      const errors: unknown[] = [];
      const syncer = new Syncer({
        store: s, prefixes: [p], sleep: fastSleep, resume: { revision: cachedAt, entries },
        events: {
          onUpdates: (us) => { for (const u of us) u.value === null ? c.view.delete(u.key) : c.view.set(u.key, u.value); },
          onStatus: (st) => c.statuses.push(st),
          onError: (e) => errors.push(e),
        },
      });
      syncer.start();
      try {
        await c.until(() => c.view.size === 2 && c.view.has(`${p}new`) && (c.view.get(`${p}a`) as { v: number }).v === 2 && c.statuses.at(-1) === 'in-sync' && errors.length > 0);
        assert.ok(errors.some((e) => isTortieError(e, 'TORTIE_ERR_DATASTORE_COMPACTED')), `expected a COMPACTED error, got ${errors.map(String).join('; ')}`);
        assert.ok(c.statuses.includes('resync'), `statuses ${c.statuses.join(',')}`);
        assert.equal(syncer.snapshot().get(`${p}a`)?.revision, a2.revision);
        // Still following after the recovery:
        await s.create(`${p}after`, { v: 9 });
        await c.until(() => c.view.has(`${p}after`));
      } finally {
        await syncer.stop();
      }
    });

    it('4 processes × 250 compare-and-swap increments of one key give exactly 1000', { skip: backend.config ? false : 'this store lives in one process', timeout: 180_000 }, async () => {
      fresh();
      const key = `${p}counter`;
      const start = await s.create(key, { n: 0 });
      // A watcher in this process must see every one of the 1000 updates, once, in order.
      const w = s.watch(key, start.revision + 1);
      const seen = take(w, 1000, 170_000);
      const workers = await Promise.all([0, 1, 2, 3].map(() =>
        run(process.execPath, ['--enable-source-maps', workerPath, JSON.stringify(backend.config), key, '250'], { timeout: 170_000 })));
      const conflicts = workers.reduce((n, r) => n + (JSON.parse(r.stdout) as { conflicts: number }).conflicts, 0);
      assert.deepEqual((await s.get(key)).value, { n: 1000 });
      const events = await seen;
      assert.deepEqual(events.map((e) => (e.new!.value as { n: number }).n), Array.from({ length: 1000 }, (_, i) => i + 1));
      await w[Symbol.asyncIterator]().return?.();
      assert.ok(conflicts >= 0);
    });

    it('a watcher sees every event exactly once across a server restart', { skip: backend.restart ? false : 'no server to restart', timeout: 120_000 }, async () => {
      fresh();
      const writer = await backend.open();
      const start = await s.revision();
      const w = s.watch(p, start + 1);
      const seen = take(w, 60, 90_000);
      const write = async (i: number): Promise<void> => {
        for (;;) {
          try { await writer.create(`${p}${String(i).padStart(3, '0')}`, { i }); return; } catch (e) {
            if (isTortieError(e, 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS')) return; // the write landed before the error
            if (!isTortieError(e) || !e.retryable) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      for (let i = 0; i < 20; i++) await write(i);
      await backend.restart!();
      for (let i = 20; i < 40; i++) await write(i);
      await backend.restart!();
      for (let i = 40; i < 60; i++) await write(i);
      const events = await seen;
      await writer.close();
      assert.deepEqual(events.map((e) => (e.new!.value as { i: number }).i), Array.from({ length: 60 }, (_, i) => i));
      assert.deepEqual(await take(w, 1, 1500).catch(() => []), [], 'no duplicates after the last event');
      await w[Symbol.asyncIterator]().return?.();
    });
  });
}
