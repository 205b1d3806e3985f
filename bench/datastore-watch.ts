// The receiving side of the watch-latency bench: a Receiver stamps each event's arrival, and the
// watchers below (Tortie's `Store.watch`, and the raw clients' own watch mechanisms) feed it.
// Used both in the bench process and in the child process of the cross-process runs.

import type { Etcd3 } from 'etcd3';
import type { Store } from '../src/datastore/ports.js';
import { RawSqlitePoller } from './datastore-raw.js';
import { seqOf } from './datastore-workload.js';
import { now } from './measure.js';

/** Collects receive times by write sequence number until writes 0…count-1 have all arrived. */
export class Receiver {
  readonly received = new Map<number, number>();
  readonly warm: Promise<void>;
  readonly done: Promise<ReadonlyMap<number, number>>;
  private onWarm!: () => void;
  private onDone!: (m: ReadonlyMap<number, number>) => void;
  private onFail!: (e: unknown) => void;

  constructor(private readonly count: number) {
    this.warm = new Promise((resolve) => { this.onWarm = resolve; });
    this.done = new Promise((resolve, reject) => { this.onDone = resolve; this.onFail = reject; });
    this.done.catch(() => {});
  }

  /** `t` is taken by the caller once the event is decoded, before anything else is done with it. */
  receive(seq: number, t: number): void {
    if (seq < 0) { this.onWarm(); return; }
    if (!this.received.has(seq)) this.received.set(seq, t);
    if (this.received.size === this.count) this.onDone(this.received);
  }

  fail(e: unknown): void { this.onFail(e); }
}

/** A watcher that runs until its stop function is called. */
export type StopWatching = () => Promise<void>;

/** Tortie's watch, from the store's current revision. */
export async function watchStore(store: Store, prefix: string, rx: Receiver): Promise<StopWatching> {
  const ac = new AbortController();
  const events = store.watch(prefix, (await store.revision()) + 1, { signal: ac.signal });
  const loop = (async () => {
    try {
      for await (const e of events) if (e.new) rx.receive(seqOf(e.new.value), now());
    } catch (e) {
      rx.fail(e);
    }
  })();
  return async () => { ac.abort(); await loop; };
}

/** The raw SQLite baseline: poll `data_version` every `pollMs`, read the new log rows. */
export function watchRawSqlite(path: string, prefix: string, pollMs: number, rx: Receiver): StopWatching {
  const poller = new RawSqlitePoller(path, pollMs, (key, text) => {
    if (!key.startsWith(prefix)) return;
    const value: unknown = JSON.parse(text);
    rx.receive(seqOf(value), now());
  });
  return async () => poller.close();
}

/** The raw etcd baseline: an `etcd3` prefix watcher. */
export async function watchRawEtcd(client: Etcd3, prefix: string, rx: Receiver): Promise<StopWatching> {
  const w = await client.watch().prefix(prefix).create();
  w.on('put', (kv) => {
    const value: unknown = JSON.parse(kv.value.toString());
    rx.receive(seqOf(value), now());
  });
  w.on('error', (e) => rx.fail(e));
  return async () => { await w.cancel(); };
}
