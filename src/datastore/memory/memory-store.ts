// An in-memory Store with the full contract (revisions, CAS, watch history, compaction). For unit
// tests of code above the port; it passes the same contract suite as the real backends.

import { AsyncQueue } from '../../lib/async-queue.js';
import { TortieError } from '../../lib/errors.js';
import { BaseStore, checkDistinctKeys, compactedError, firstPreconditionError, storeClosedError } from '../base-store.js';
import type { CommitResult, KV, ListResult, Revision, WatchEvent, WatchOptions, WriteOp } from '../ports.js';

interface Watcher {
  readonly prefix: string;
  readonly queue: AsyncQueue<WatchEvent>;
}

export class MemoryStore extends BaseStore {
  readonly description = 'in-memory store';
  private readonly data = new Map<string, KV>();
  private readonly log: WatchEvent[] = [];
  private rev: Revision = 1; // etcd starts a fresh cluster at revision 1
  private compacted: Revision = 0;
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  private live(): void {
    if (this.closed) throw storeClosedError(this.description);
  }

  async get(key: string): Promise<KV> {
    this.live();
    const kv = this.data.get(key);
    if (!kv) throw new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Key ${key} does not exist`, { key });
    return kv;
  }

  async list(prefix: string): Promise<ListResult> {
    this.live();
    const items = [...this.data.values()].filter((kv) => kv.key.startsWith(prefix));
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { items, revision: this.rev };
  }

  async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    this.live();
    checkDistinctKeys(ops);
    const err = firstPreconditionError(ops, (k) => this.data.get(k));
    if (err) throw err;
    const revision = ++this.rev;
    const results: KV[] = [];
    const events: WatchEvent[] = [];
    for (const op of ops) {
      const old = this.data.get(op.key) ?? null;
      if (op.op === 'delete') {
        this.data.delete(op.key);
        results.push(old!);
        events.push({ type: 'delete', key: op.key, revision, old, new: null });
      } else {
        // Values are copied so that callers mutating their objects cannot change stored state.
        const kv: KV = {
          key: op.key,
          value: structuredClone(op.value),
          revision,
          createRevision: old ? old.createRevision : revision,
          version: old ? old.version + 1 : 1,
        };
        this.data.set(op.key, kv);
        results.push(kv);
        events.push({ type: old ? 'update' : 'create', key: op.key, revision, old, new: kv });
      }
    }
    this.log.push(...events);
    for (const w of this.watchers) for (const e of events) if (e.key.startsWith(w.prefix)) w.queue.push(e);
    return { revision, results };
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    this.live();
    const watcher: Watcher = { prefix, queue: new AsyncQueue<WatchEvent>(() => this.watchers.delete(watcher)) };
    if (fromRevision < this.compacted) {
      watcher.queue.fail(compactedError(fromRevision, this.compacted));
      return watcher.queue;
    }
    for (const e of this.log) if (e.revision >= fromRevision && e.key.startsWith(prefix)) watcher.queue.push(e);
    this.watchers.add(watcher);
    options.signal?.addEventListener('abort', () => watcher.queue.end(), { once: true });
    if (options.signal?.aborted) watcher.queue.end();
    return watcher.queue;
  }

  async compact(revision: Revision): Promise<void> {
    this.live();
    if (revision > this.rev) {
      throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `Cannot compact to ${revision}: the store is at ${this.rev}`);
    }
    this.compacted = Math.max(this.compacted, revision);
    const keep = this.log.findIndex((e) => e.revision >= revision);
    this.log.splice(0, keep < 0 ? this.log.length : keep);
  }

  async revision(): Promise<Revision> {
    this.live();
    return this.rev;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.queue.end();
    this.watchers.clear();
  }
}
