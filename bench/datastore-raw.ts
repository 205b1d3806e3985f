// The reference implementations the datastore bench compares Tortie against: what a program would
// write with the raw clients alone, doing the same work as Tortie's layer.
//
// - RawSqlite: the schema shape of Tortie's embedded store (meta, kv, log; the same columns), the
//   same PRAGMAs (WAL, synchronous=NORMAL, busy timeout), and a compare-and-swap in one
//   `BEGIN IMMEDIATE` transaction: read the row, check mod_rev, bump the revision counter, write
//   the kv row and one log row (with the previous value, as a watcher needs it).
// - RawSqlitePoller: a second connection polling `PRAGMA data_version` every 10 ms, then reading
//   the new log rows (reference/node-libs.md §4).
// - rawEtcdCas: `etcd3`'s own transaction builder, `if(Mod == rev).then(put)`.

import Database from 'better-sqlite3';
import type { Etcd3 } from 'etcd3';
import { SCHEMA as STORE_SCHEMA } from '../src/datastore/sqlite/index.js';

// The same tables and PRAGMAs as the store, so the comparison is of the layers, not the schema.
const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
${STORE_SCHEMA}`;

interface Row { value: string; create_rev: number; mod_rev: number; version: number }

export class RawSqlite {
  private readonly db: Database.Database;
  private readonly casTxn: (key: string, text: string, expected: number) => number;
  private readonly createTxn: (key: string, text: string) => number;

  constructor(path: string) {
    this.db = new Database(path, { timeout: 5000 });
    this.db.exec(SCHEMA);
    const get = this.db.prepare<[string], Row>('SELECT value, create_rev, mod_rev, version FROM kv WHERE key = ?');
    const getRev = this.db.prepare<[], { rev: number }>('SELECT rev FROM meta WHERE id = 0');
    const setRev = this.db.prepare<[number]>('UPDATE meta SET rev = ? WHERE id = 0');
    const update = this.db.prepare<[string, number, number, string]>('UPDATE kv SET value = ?, mod_rev = ?, version = ? WHERE key = ?');
    const insert = this.db.prepare<[string, string, number, number]>(
      'INSERT INTO kv (key, value, create_rev, mod_rev, version) VALUES (?, ?, ?, ?, 1)');
    const log = this.db.prepare<[number, string, string, string, number, number, string | null, number | null, number | null, number | null]>(
      `INSERT INTO log (rev, seq, key, op, value, create_rev, version, prev_value, prev_mod_rev, prev_create_rev, prev_version)
       VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const cas = this.db.transaction((key: string, text: string, expected: number): number => {
      const row = get.get(key);
      if (!row) throw new Error(`raw sqlite: ${key} does not exist`);
      if (row.mod_rev !== expected) throw new Error(`raw sqlite: ${key} is at ${row.mod_rev}, expected ${expected}`);
      const rev = getRev.get()!.rev + 1;
      setRev.run(rev);
      update.run(text, rev, row.version + 1, key);
      log.run(rev, key, 'update', text, row.create_rev, row.version + 1, row.value, row.mod_rev, row.create_rev, row.version);
      return rev;
    });
    const create = this.db.transaction((key: string, text: string): number => {
      const rev = getRev.get()!.rev + 1;
      setRev.run(rev);
      insert.run(key, text, rev, rev);
      log.run(rev, key, 'create', text, rev, 1, null, null, null, null);
      return rev;
    });
    this.casTxn = (key, text, expected) => cas.immediate(key, text, expected);
    this.createTxn = (key, text) => create.immediate(key, text);
  }

  /** Compare-and-swap; returns the new mod revision. Throws on a conflict (the bench has none). */
  cas(key: string, text: string, expected: number): number { return this.casTxn(key, text, expected); }
  create(key: string, text: string): number { return this.createTxn(key, text); }
  close(): void { this.db.close(); }
}

/** A raw cross-connection watcher: polls `data_version`, reads log rows after the last seen. */
export class RawSqlitePoller {
  private readonly db: Database.Database;
  private readonly timer: NodeJS.Timeout;

  constructor(path: string, pollMs: number, onRow: (key: string, value: string) => void) {
    this.db = new Database(path, { timeout: 5000 });
    const since = this.db.prepare<[number], { rev: number; key: string; value: string | null }>(
      'SELECT rev, key, value FROM log WHERE rev > ? ORDER BY rev, seq');
    let last = this.db.prepare<[], { rev: number }>('SELECT rev FROM meta WHERE id = 0').get()!.rev;
    const dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    let seen = dataVersion.get() as number;
    this.timer = setInterval(() => {
      const v = dataVersion.get() as number;
      if (v === seen) return;
      seen = v;
      for (const r of since.all(last)) {
        last = r.rev;
        if (r.value !== null) onRow(r.key, r.value);
      }
    }, pollMs);
  }

  close(): void {
    clearInterval(this.timer);
    this.db.close();
  }
}

/** `etcd3`'s own CAS: put if the key's mod revision is `expected`; returns the new revision. */
export async function rawEtcdCas(client: Etcd3, key: string, text: string, expected: number): Promise<number> {
  const r = await client.if(key, 'Mod', '==', expected).then(client.put(key).value(text)).commit();
  if (!r.succeeded) throw new Error(`raw etcd: ${key} is not at revision ${expected}`);
  return Number(r.header.revision);
}

export async function rawEtcdCreate(client: Etcd3, key: string, text: string): Promise<number> {
  const r = await client.put(key).value(text);
  return Number(r.header.revision);
}
