// The embedded datastore: one SQLite file (WAL) that the agent, the CNI plugin and the CLI on one
// machine open at the same time. It gives the etcd v3 semantics of the Store port:
//
//   meta(rev, compacted)      the store revision and the compaction point
//   kv(key → value, create_rev, mod_rev, version)
//   log(rev, seq → key, op, new and previous value)   history, served to watchers
//
// Writers serialise on `BEGIN IMMEDIATE`; each commit bumps `meta.rev` by one and appends one log
// row per op. Watchers in other processes notice commits by polling `PRAGMA data_version` (it
// changes when another connection commits) every `pollMs`, then read the new log rows; watchers in
// the writing process are served right after the commit. `synchronous=NORMAL` under WAL survives a
// process crash; a power loss may drop the last commits (never corrupts the file).

import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AsyncQueue } from '../../lib/async-queue.js';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { BaseStore, checkDistinctKeys, compactedError, firstPreconditionError, storeClosedError } from '../base-store.js';
import type { CommitResult, KV, ListResult, Revision, WatchEvent, WatchEventType, WatchOptions, WriteOp } from '../ports.js';

export interface SqliteStoreOptions {
  readonly path: string;
  /** How often watchers look for commits of other processes. Default 10 ms. */
  readonly pollMs?: number;
  /** How long a writer waits for the file lock before failing as UNAVAILABLE. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Log rows kept for watchers before automatic compaction. Default 10,000 revisions. */
  readonly historyRevisions?: number;
}

interface KvRow { key: string; value: string; create_rev: number; mod_rev: number; version: number }
interface LogRow {
  rev: number; key: string; op: WatchEventType;
  value: string | null; create_rev: number | null; version: number | null;
  prev_value: string | null; prev_mod_rev: number | null; prev_create_rev: number | null; prev_version: number | null;
}

interface Watcher {
  readonly prefix: string;
  readonly queue: AsyncQueue<WatchEvent>;
}

/** The store's tables (also used by bench/ to measure raw better-sqlite3 on the same shape). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 0), rev INTEGER NOT NULL, compacted INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (id, rev, compacted) VALUES (0, 1, 0);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY, value TEXT NOT NULL,
  create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, op TEXT NOT NULL,
  value TEXT, create_rev INTEGER, version INTEGER,
  prev_value TEXT, prev_mod_rev INTEGER, prev_create_rev INTEGER, prev_version INTEGER,
  PRIMARY KEY (rev, seq)
) WITHOUT ROWID;
`;

/**
 * `mkdir -p` one directory at a time: Node 20's recursive mkdirSync spins forever under /proc
 * (e.g. --store-path /proc/x/store.db), and a plain mkdir fails cleanly there.
 */
function makeParents(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeParents(parent);
  mkdirSync(dir);
}

/**
 * Free bytes below which an I/O error is taken for a full disk. SQLite reports ENOSPC as
 * SQLITE_FULL where it writes the database or its WAL, but as SQLITE_IOERR_SHMSIZE where it sizes
 * the shared-memory index (`-shm`, grown in 32 KiB regions) — e.g. a process opening the store on a
 * full disk when no other process has it open.
 */
const FULL_BELOW_BYTES = 64 * 1024;

/** Free bytes of the filesystem holding `dir` for this process (root may use the reserved blocks); null when unknown. */
function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.ffree === 0 ? 0 : (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
  } catch {
    return null;
  }
}

/** The smallest string greater than every string starting with `prefix` (null: no bound). */
function prefixEnd(prefix: string): string | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return null;
}

export class SqliteStore extends BaseStore {
  readonly description: string;
  private readonly path: string;
  private readonly db: Database.Database;
  private readonly pollMs: number;
  private readonly history: number;
  private readonly watchers = new Set<Watcher>();
  private poller: NodeJS.Timeout | null = null;
  private lastDataVersion = -1;
  /** Every log row up to this revision has been handed to the watchers of this process. */
  private dispatched: Revision = 0;
  private closed = false;
  private readonly stmt;

  constructor(options: SqliteStoreOptions) {
    super();
    this.description = `sqlite file ${options.path}`;
    this.path = options.path;
    this.pollMs = options.pollMs ?? 10;
    this.history = options.historyRevisions ?? 10_000;
    try {
      makeParents(dirname(options.path));
      this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw this.wrap(e, 'open');
    }
    const db = this.db;
    this.stmt = {
      meta: db.prepare<[], { rev: number; compacted: number }>('SELECT rev, compacted FROM meta WHERE id = 0'),
      setRev: db.prepare<[number]>('UPDATE meta SET rev = ? WHERE id = 0'),
      get: db.prepare<[string], KvRow>('SELECT * FROM kv WHERE key = ?'),
      listFrom: db.prepare<[string], KvRow>('SELECT * FROM kv WHERE key >= ? ORDER BY key'),
      listRange: db.prepare<[string, string], KvRow>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      put: db.prepare<[string, string, number, number, number]>(
        'INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, ?)'),
      del: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      logAdd: db.prepare<[number, number, string, string, string | null, number | null, number | null,
        string | null, number | null, number | null, number | null]>(
        `INSERT INTO log (rev, seq, key, op, value, create_rev, version, prev_value, prev_mod_rev, prev_create_rev, prev_version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      logSince: db.prepare<[number], LogRow>('SELECT * FROM log WHERE rev > ? ORDER BY rev, seq'),
      logTrim: db.prepare<[number]>('DELETE FROM log WHERE rev < ?'),
      setCompacted: db.prepare<[number]>('UPDATE meta SET compacted = MAX(compacted, ?) WHERE id = 0'),
    };
    this.commitTxn = db.transaction((ops: readonly WriteOp[]) => this.commitInTxn(ops));
    // Made once: better-sqlite3 builds a wrapper per db.transaction() call.
    this.listTxn = db.transaction((prefix: string, end: string | null) => ({
      rows: end === null ? this.stmt.listFrom.all(prefix) : this.stmt.listRange.all(prefix, end),
      rev: this.stmt.meta.get()!.rev,
    }));
  }

  private readonly listTxn: Database.Transaction<(prefix: string, end: string | null) => { rows: KvRow[]; rev: number }>;

  private readonly commitTxn: Database.Transaction<(ops: readonly WriteOp[]) => CommitResult>;

  private live(): void {
    if (this.closed) throw storeClosedError(this.description);
  }

  /**
   * SQLite failures: a full disk is FULL (a failed commit is rolled back whole, so nothing was
   * written); a busy lock or an unopenable file is the store being unavailable.
   */
  private wrap(e: unknown, what: string): unknown {
    if (isTortieError(e)) return e;
    const code = (e as { code?: string }).code ?? '';
    const msg = e instanceof Error ? e.message : String(e);
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
      return new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `The ${this.description} is not a Tortie store (${msg})`, { sqlite: code }, { cause: e });
    }
    const dir = dirname(this.path);
    // ENOSPC and EDQUOT: making the store's directory.
    const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
    const free = full || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' ? freeBytes(dir) : null;
    if (full || (free !== null && free < FULL_BELOW_BYTES)) {
      return new TortieError('TORTIE_ERR_DATASTORE_FULL',
        `Cannot ${what} the ${this.description}: the disk is full (${code}: ${msg})${what === 'open' || what === 'read' ? '' : '; nothing was written'}. `
        + `Free space on the filesystem holding ${dir}${free !== null ? ` (${Math.floor(free / 1024)} KiB free)` : ''}: delete files there that are not needed, `
        + `or grow it; the store also needs room for its write-ahead log (${basename(this.path)}-wal beside it)`,
        { sqlite: code, path: this.path, ...(free !== null ? { freeBytes: free } : {}) }, { cause: e });
    }
    return new TortieError('TORTIE_ERR_DATASTORE_UNAVAILABLE', `Cannot ${what} the ${this.description}: ${msg}`, { sqlite: code }, { cause: e });
  }

  private decode(key: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `The value of ${key} in the ${this.description} is not JSON`, { key }, { cause: e });
    }
  }

  private toKV(r: KvRow): KV {
    return { key: r.key, value: this.decode(r.key, r.value), revision: r.mod_rev, createRevision: r.create_rev, version: r.version };
  }

  async get(key: string): Promise<KV> {
    this.live();
    let row: KvRow | undefined;
    try { row = this.stmt.get.get(key); } catch (e) { throw this.wrap(e, 'read'); }
    if (!row) throw new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Key ${key} does not exist`, { key });
    return this.toKV(row);
  }

  async list(prefix: string): Promise<ListResult> {
    this.live();
    const end = prefixEnd(prefix);
    try {
      // One read transaction so the rows and the revision are of the same snapshot.
      const { rows, rev } = this.listTxn.deferred(prefix, end);
      return { items: rows.map((r) => this.toKV(r)), revision: rev };
    } catch (e) {
      throw this.wrap(e, 'read');
    }
  }

  /** A row's KV without decoding its value: all a precondition check looks at. */
  private static header(r: KvRow): KV {
    return { key: r.key, value: undefined, revision: r.mod_rev, createRevision: r.create_rev, version: r.version };
  }

  // The hot path of every write. Stored values are used as the text they are: the previous value
  // goes into the log row unchanged, and is decoded only for an error's details or a delete's
  // result. (Decoding and re-encoding it was ~4 of the ~10 µs per CAS this layer adds to raw
  // better-sqlite3: `npm run bench:datastore`.)
  private commitInTxn(ops: readonly WriteOp[]): CommitResult {
    const found = new Map<string, KvRow>();
    for (const op of ops) {
      const row = this.stmt.get.get(op.key);
      if (row) found.set(op.key, row);
    }
    const header = (k: string): KV | undefined => { const r = found.get(k); return r && SqliteStore.header(r); };
    if (firstPreconditionError(ops, header)) {
      throw firstPreconditionError(ops, (k) => { const r = found.get(k); return r && this.toKV(r); })!;
    }
    const revision = this.stmt.meta.get()!.rev + 1;
    this.stmt.setRev.run(revision);
    const results: KV[] = [];
    ops.forEach((op, seq) => {
      const old = found.get(op.key);
      if (op.op === 'delete') {
        this.stmt.del.run(op.key);
        this.stmt.logAdd.run(revision, seq, op.key, 'delete', null, null, null,
          old!.value, old!.mod_rev, old!.create_rev, old!.version);
        results.push(this.toKV(old!));
        return;
      }
      const text = JSON.stringify(op.value);
      const kv: KV = {
        // The caller's own value: what was stored is `text`, so nothing the caller does to it later
        // can change the store (re-parsing it here cost as much as the write).
        key: op.key, value: op.value, revision,
        createRevision: old ? old.create_rev : revision, version: old ? old.version + 1 : 1,
      };
      this.stmt.put.run(op.key, text, kv.createRevision, revision, kv.version);
      this.stmt.logAdd.run(revision, seq, op.key, old ? 'update' : 'create', text, kv.createRevision, kv.version,
        old?.value ?? null, old?.mod_rev ?? null, old?.create_rev ?? null, old?.version ?? null);
      results.push(kv);
    });
    if (revision % 1000 === 0 && revision > this.history) this.compactInTxn(revision - this.history);
    return { revision, results };
  }

  async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    this.live();
    checkDistinctKeys(ops);
    let result: CommitResult;
    try {
      result = this.commitTxn.immediate(ops);
    } catch (e) {
      throw this.wrap(e, 'write to');
    }
    if (this.watchers.size > 0) this.dispatch();
    return result;
  }

  private compactInTxn(revision: Revision): void {
    this.stmt.logTrim.run(revision);
    this.stmt.setCompacted.run(revision);
  }

  async compact(revision: Revision): Promise<void> {
    this.live();
    try {
      this.db.transaction(() => {
        const { rev } = this.stmt.meta.get()!;
        if (revision > rev) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `Cannot compact to ${revision}: the store is at ${rev}`);
        this.compactInTxn(revision);
      }).immediate();
    } catch (e) {
      throw this.wrap(e, 'compact');
    }
  }

  async revision(): Promise<Revision> {
    this.live();
    try { return this.stmt.meta.get()!.rev; } catch (e) { throw this.wrap(e, 'read'); }
  }

  private rowToEvent(r: LogRow): WatchEvent {
    const old: KV | null = r.prev_value === null ? null : {
      key: r.key, value: this.decode(r.key, r.prev_value), revision: r.prev_mod_rev!,
      createRevision: r.prev_create_rev!, version: r.prev_version!,
    };
    const neu: KV | null = r.value === null ? null : {
      key: r.key, value: this.decode(r.key, r.value), revision: r.rev, createRevision: r.create_rev!, version: r.version!,
    };
    return { type: r.op, key: r.key, revision: r.rev, old, new: neu };
  }

  /** Hands every log row after `dispatched` to the matching watchers of this process. */
  private dispatch(): void {
    let rows: LogRow[];
    let compacted: number;
    try {
      ({ rows, compacted } = this.db.transaction(() => ({
        compacted: this.stmt.meta.get()!.compacted,
        rows: this.stmt.logSince.all(this.dispatched),
      })).deferred());
    } catch (e) {
      this.failWatchers(this.wrap(e, 'read'));
      return;
    }
    if (this.dispatched + 1 < compacted) {
      // This process fell behind the compaction point (a long pause): its watchers must re-list.
      this.failWatchers(compactedError(this.dispatched + 1, compacted));
      return;
    }
    for (const r of rows) {
      const e = this.rowToEvent(r);
      for (const w of this.watchers) if (e.key.startsWith(w.prefix)) w.queue.push(e);
      this.dispatched = r.rev;
    }
  }

  private failWatchers(e: unknown): void {
    for (const w of [...this.watchers]) w.queue.fail(e);
    this.watchers.clear();
    this.stopPolling();
  }

  private poll(): void {
    try {
      const v = this.db.pragma('data_version', { simple: true }) as number;
      if (v === this.lastDataVersion) return;
      this.lastDataVersion = v;
    } catch (e) {
      this.failWatchers(this.wrap(e, 'read'));
      return;
    }
    this.dispatch();
  }

  private stopPolling(): void {
    if (this.poller) { clearInterval(this.poller); this.poller = null; }
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    this.live();
    const watcher: Watcher = {
      prefix,
      queue: new AsyncQueue<WatchEvent>(() => {
        this.watchers.delete(watcher);
        if (this.watchers.size === 0) this.stopPolling();
      }),
    };
    try {
      if (this.watchers.size === 0) {
        // Nobody was listening: start dispatching from now, then replay what this watcher asked for.
        this.dispatched = this.stmt.meta.get()!.rev;
      }
      const { rows, compacted } = this.db.transaction(() => ({
        compacted: this.stmt.meta.get()!.compacted,
        rows: this.stmt.logSince.all(fromRevision - 1).filter((r) => r.rev <= this.dispatched),
      })).deferred();
      if (fromRevision < compacted) {
        watcher.queue.fail(compactedError(fromRevision, compacted));
        return watcher.queue;
      }
      for (const r of rows) if (r.key.startsWith(prefix)) watcher.queue.push(this.rowToEvent(r));
    } catch (e) {
      watcher.queue.fail(this.wrap(e, 'read'));
      return watcher.queue;
    }
    this.watchers.add(watcher);
    if (!this.poller) this.poller = setInterval(() => this.poll(), this.pollMs);
    options.signal?.addEventListener('abort', () => watcher.queue.end(), { once: true });
    if (options.signal?.aborted) watcher.queue.end();
    return watcher.queue;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.queue.end();
    this.watchers.clear();
    this.stopPolling();
    this.db.close();
  }
}
