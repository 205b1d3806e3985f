// The syncer: keeps a consumer's view of some key prefixes equal to the store, the way Calico's
// watchersyncer does (calico.md §3):
//
//   list(prefix) ──► diff against the cache ──► updates (+ deletes for keys the list lacks)
//        ▲                                         │
//        │ compaction, lost connection,            ▼
//        └──────── watch error, restart ◄──── watch(prefix, listRevision + 1) ──► updates
//
// Updates carry the value, or null when the key is gone. Consumers decide existence by the value,
// never by the kind of event: after a re-list they may see a key "updated" to the value they have,
// or a delete for a key they never saw. Status goes wait-for-datastore → resync → in-sync, and back
// to resync while any prefix is re-listing.

import { isRetryable } from '../../lib/errors.js';
import type { Revision, Store } from '../ports.js';

export type SyncStatus = 'wait-for-datastore' | 'resync' | 'in-sync';

export interface SyncUpdate {
  readonly key: string;
  /** The current value, or null when the key does not exist (any more). */
  readonly value: unknown;
  /** The key's mod revision; for a delete, the revision that removed it (or of the list that missed it). */
  readonly revision: Revision;
}

export interface SyncerEvents {
  onUpdates(updates: readonly SyncUpdate[]): void;
  onStatus?(status: SyncStatus): void;
  /** A failure the syncer recovers from by itself (logged by the consumer, e.g. at debug level). */
  onError?(error: unknown, prefix: string): void;
}

export interface SyncerOptions {
  readonly store: Store;
  readonly prefixes: readonly string[];
  readonly events: SyncerEvents;
  /** Start from a cached state instead of listing: watch from `revision + 1`, re-list if that fails. */
  readonly resume?: { readonly revision: Revision; readonly entries: ReadonlyMap<string, { value: unknown; revision: Revision }> };
  /** Wait between a failure and the next list (Calico: ListRetryInterval 1 s). */
  readonly retryMs?: number;
  /** Minimum time between two lists of one prefix (Calico: MinResyncInterval 500 ms). */
  readonly minResyncMs?: number;
  /** Injected for tests; resolves early (without error) when the signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  const t = setTimeout(done, ms);
  function done(): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done, { once: true });
});

export class Syncer {
  private readonly cache = new Map<string, { value: unknown; revision: Revision }>();
  private readonly synced = new Set<string>();
  private readonly abort = new AbortController();
  private status: SyncStatus | null = null;
  private loops: Promise<void>[] = [];
  private readonly o: Required<Omit<SyncerOptions, 'resume'>> & Pick<SyncerOptions, 'resume'>;

  constructor(options: SyncerOptions) {
    this.o = { retryMs: 1000, minResyncMs: 500, sleep: defaultSleep, ...options };
    // Overlapping prefixes would deliver one key twice and confuse the diff of a re-list.
    const ps = [...options.prefixes].sort();
    for (let i = 1; i < ps.length; i++) {
      if (ps[i]!.startsWith(ps[i - 1]!)) throw new Error(`Syncer prefixes overlap: ${ps[i - 1]} and ${ps[i]}`);
    }
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.setStatus('wait-for-datastore');
    if (this.o.resume) for (const [k, v] of this.o.resume.entries) this.cache.set(k, v);
    this.loops = this.o.prefixes.map((p) => this.run(p));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  /** The current view (a copy). */
  snapshot(): Map<string, { value: unknown; revision: Revision }> {
    return new Map(this.cache);
  }

  get currentStatus(): SyncStatus | null { return this.status; }

  private setStatus(s: SyncStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.o.events.onStatus?.(s);
  }

  private emit(updates: SyncUpdate[]): void {
    if (updates.length > 0 && !this.abort.signal.aborted) this.o.events.onUpdates(updates);
  }

  /** Applies a full listing of `prefix`: changed and new keys, and deletes for keys it lacks. */
  private applyList(prefix: string, items: readonly { key: string; value: unknown; revision: Revision }[], revision: Revision): void {
    const updates: SyncUpdate[] = [];
    const seen = new Set<string>();
    for (const kv of items) {
      seen.add(kv.key);
      if (this.cache.get(kv.key)?.revision !== kv.revision) {
        this.cache.set(kv.key, { value: kv.value, revision: kv.revision });
        updates.push({ key: kv.key, value: kv.value, revision: kv.revision });
      }
    }
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(prefix) && !seen.has(key)) {
        this.cache.delete(key);
        updates.push({ key, value: null, revision });
      }
    }
    this.emit(updates);
  }

  private async run(prefix: string): Promise<void> {
    const signal = this.abort.signal;
    let from: Revision | null = this.o.resume ? this.o.resume.revision + 1 : null;
    let lastList = -Infinity;
    while (!signal.aborted) {
      try {
        if (from === null) {
          const wait = lastList + this.o.minResyncMs - performance.now();
          if (wait > 0) await this.o.sleep(wait, signal);
          if (signal.aborted) break;
          lastList = performance.now();
          const listed = await this.o.store.list(prefix);
          this.applyList(prefix, listed.items, listed.revision);
          from = listed.revision + 1;
        }
        // A resumed cache is a consistent (if old) view: in sync while its watch follows; if the
        // store cannot serve the watch (compacted), the catch below re-lists.
        this.markSynced(prefix);
        for await (const ev of this.o.store.watch(prefix, from, { signal })) {
          const cached = this.cache.get(ev.key);
          if (ev.new) {
            if (cached && cached.revision >= ev.revision) continue;
            this.cache.set(ev.key, { value: ev.new.value, revision: ev.revision });
            this.emit([{ key: ev.key, value: ev.new.value, revision: ev.revision }]);
          } else if (cached) {
            this.cache.delete(ev.key);
            this.emit([{ key: ev.key, value: null, revision: ev.revision }]);
          }
          from = ev.revision + 1;
        }
        if (signal.aborted) break;
        throw new Error(`The watch of ${prefix} ended`);
      } catch (e) {
        if (signal.aborted) break;
        this.o.events.onError?.(e, prefix);
        this.synced.delete(prefix);
        if (this.status === 'in-sync') this.setStatus('resync');
        // Compaction, a lost connection, a server restart: list again from scratch.
        from = null;
        await this.o.sleep(isRetryable(e) ? this.o.retryMs : this.o.retryMs * 2, signal);
      }
    }
  }

  private markSynced(prefix: string): void {
    if (this.synced.has(prefix)) return;
    this.synced.add(prefix);
    if (this.synced.size === this.o.prefixes.length) this.setStatus('in-sync');
    else if (this.status === 'wait-for-datastore') this.setStatus('resync');
  }
}
