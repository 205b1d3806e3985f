// The etcd v3 backend, over Microsoft's `etcd3` client, hardened against its known pitfalls
// (reference/node-libs.md §3):
// - no circuit breaker: one bad call must not fail the next unrelated ones for 5 s, and a watcher
//   must reconnect as soon as etcd is back (`faultHandling` with noop policies, short backoff);
// - a watcher cancelled by the server (etcd 3.4 cancels a watch from a compacted revision with an
//   empty reason) is never `cancel()`ed afterwards — that throws from inside the library and kills
//   the process; it is surfaced as COMPACTED and dropped, and the caller re-lists;
// - the library resumes a broken watch from the last *header* revision + 1, which can lie past
//   events still pending in a batched catch-up; we pin the resume point to the last event actually
//   delivered + 1 and drop replays by revision, so each event arrives exactly once;
// - revisions come back as int64 strings; they are checked to fit a safe integer.
//
// Writes follow Calico's etcdv3 backend: create = txn If(Version(key) == 0), update and delete =
// txn If(ModRevision(key) == rev); on a failed compare the else branch reads the keys so the error
// can carry the current value.

import type { Etcd3, IOptions, Watcher, IKeyValue, IWatchResponse } from 'etcd3';
import { AsyncQueue } from '../../lib/async-queue.js';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { BaseStore, checkDistinctKeys, firstPreconditionError, storeClosedError } from '../base-store.js';
import type { CommitResult, KV, ListResult, Revision, WatchEvent, WatchOptions, WriteOp } from '../ports.js';

export interface EtcdTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** Deadline for each unary call; past it the store is reported unavailable. Default 5000 ms. */
  readonly callTimeoutMs?: number;
}

function toRevision(s: string | number | null | undefined, what: string): Revision {
  const n = Number(s ?? 0);
  if (!Number.isSafeInteger(n)) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `etcd returned an unusable ${what} revision: ${String(s)}`);
  return n;
}

export class EtcdStore extends BaseStore {
  readonly description: string;
  private readonly client: Etcd3;
  private readonly etcd: typeof import('etcd3');
  private readonly watchers = new Set<AsyncQueue<WatchEvent>>();
  private closed = false;

  private constructor(etcd: typeof import('etcd3'), client: Etcd3, description: string) {
    super();
    this.etcd = etcd;
    this.client = client;
    this.description = description;
  }

  /** Loads `etcd3` lazily (it costs ~200 ms to import) and connects on first use. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const etcd = await import('etcd3');
    const { ExponentialBackoff, noop } = await import('cockatiel');
    type IBackoff<T> = import('cockatiel').IBackoff<T>;
    const timeout = options.callTimeoutMs ?? 5000;
    const opts: IOptions = {
      hosts: [...options.endpoints],
      dialTimeout: timeout,
      faultHandling: {
        host: () => noop,
        global: noop,
        // etcd3 types this as a backoff but calls `.next()` on it as a factory, which is what
        // cockatiel 3's ExponentialBackoff is.
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
      },
      // Streams (watch, lease keepalive) live long; only unary calls get a deadline.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    };
    if (options.tls?.ca) {
      opts.credentials = {
        rootCertificate: options.tls.ca,
        ...(options.tls.key ? { privateKey: options.tls.key } : {}),
        ...(options.tls.cert ? { certChain: options.tls.cert } : {}),
      };
    }
    return new EtcdStore(etcd, new etcd.Etcd3(opts), `etcd at ${options.endpoints.join(',')}`);
  }

  private live(): void {
    if (this.closed) throw storeClosedError(this.description);
  }

  private wrap(e: unknown, what: string): unknown {
    if (isTortieError(e)) return e;
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof this.etcd.GRPCInvalidArgumentError || e instanceof this.etcd.GRPCFailedPreconditionError) {
      return new TortieError('TORTIE_ERR_INTERNAL_BUG', `etcd rejected the request to ${what}: ${msg}`, {}, { cause: e });
    }
    return new TortieError('TORTIE_ERR_DATASTORE_UNAVAILABLE', `Cannot ${what} ${this.description}: ${msg}`, {}, { cause: e });
  }

  private toKV(kv: IKeyValue): KV {
    const key = kv.key.toString();
    let value: unknown;
    try {
      value = JSON.parse(kv.value.toString());
    } catch (e) {
      throw new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `The value of ${key} in ${this.description} is not JSON`, { key }, { cause: e });
    }
    return {
      key, value,
      revision: toRevision(kv.mod_revision, 'mod'),
      createRevision: toRevision(kv.create_revision, 'create'),
      version: toRevision(kv.version, 'version'),
    };
  }

  async get(key: string): Promise<KV> {
    this.live();
    let res;
    try { res = await this.client.kv.range({ key: Buffer.from(key) }); } catch (e) { throw this.wrap(e, 'read from'); }
    const kv = res.kvs[0];
    if (!kv) throw new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Key ${key} does not exist`, { key });
    return this.toKV(kv);
  }

  async list(prefix: string): Promise<ListResult> {
    this.live();
    let res;
    try {
      res = await this.client.kv.range({
        key: Buffer.from(prefix),
        range_end: Buffer.from(this.etcd.Range.prefix(prefix).end),
        sort_target: 'Key', sort_order: 'Ascend',
      });
    } catch (e) {
      throw this.wrap(e, 'list from');
    }
    return { items: res.kvs.map((kv) => this.toKV(kv)), revision: toRevision(res.header.revision, 'header') };
  }

  async commit(ops: readonly WriteOp[]): Promise<CommitResult> {
    this.live();
    checkDistinctKeys(ops);
    const compare = ops.map((op) => {
      const key = Buffer.from(op.key);
      switch (op.op) {
        case 'create': return { key, target: 'Version' as const, result: 'Equal' as const, version: 0 };
        case 'update': return { key, target: 'Mod' as const, result: 'Equal' as const, mod_revision: op.revision };
        case 'delete': return op.revision === undefined
          ? { key, target: 'Version' as const, result: 'Greater' as const, version: 0 }
          : { key, target: 'Mod' as const, result: 'Equal' as const, mod_revision: op.revision };
      }
    });
    const success = ops.map((op) => op.op === 'delete'
      ? { request_delete_range: { key: Buffer.from(op.key), prev_kv: true } }
      : { request_put: { key: Buffer.from(op.key), value: Buffer.from(JSON.stringify(op.value)), prev_kv: true } });
    const failure = ops.map((op) => ({ request_range: { key: Buffer.from(op.key) } }));
    let res;
    try {
      res = await this.client.kv.txn({ compare, success, failure });
    } catch (e) {
      throw this.wrap(e, 'write to');
    }
    const revision = toRevision(res.header.revision, 'header');
    if (!res.succeeded) {
      const current = new Map<string, KV>();
      for (const r of res.responses) for (const kv of r.response_range?.kvs ?? []) current.set(kv.key.toString(), this.toKV(kv));
      throw firstPreconditionError(ops, (k) => current.get(k))
        ?? new TortieError('TORTIE_ERR_INTERNAL_BUG', `etcd refused a commit of ${ops.length} op(s) without a failing compare`);
    }
    const results = ops.map((op, i): KV => {
      const r = res.responses[i]!;
      if (op.op === 'delete') return this.toKV(r.response_delete_range!.prev_kvs[0]!);
      const prev = r.response_put!.prev_kv ? this.toKV(r.response_put!.prev_kv) : null;
      return {
        key: op.key, value: structuredClone(op.value), revision,
        createRevision: prev ? prev.createRevision : revision, version: prev ? prev.version + 1 : 1,
      };
    });
    return { revision, results };
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    this.live();
    let watcher: Watcher | null = null;
    let serverCancelled = false;
    const queue = new AsyncQueue<WatchEvent>(() => {
      this.watchers.delete(queue);
      // Never cancel a watcher the server already cancelled (see the header comment).
      if (watcher && !serverCancelled) watcher.cancel().catch(() => {});
    });
    this.watchers.add(queue);
    let delivered: Revision = fromRevision - 1;
    const onData = (res: IWatchResponse): void => {
      const before = delivered;
      for (const ev of res.events) {
        const revision = toRevision(ev.kv.mod_revision, 'mod');
        if (revision <= before) continue; // a replay after reconnection
        const key = ev.kv.key.toString();
        const old = ev.prev_kv ? this.toKV(ev.prev_kv) : null;
        if (ev.type === 'Delete') {
          // A delete event's kv has the key and the delete's revision, but no value.
          queue.push({ type: 'delete', key, revision, old, new: null });
        } else {
          queue.push({ type: old ? 'update' : 'create', key, revision, old, new: this.toKV(ev.kv) });
        }
        delivered = Math.max(delivered, revision);
      }
      if (res.events.length > 0 && watcher) watcher.request.start_revision = String(delivered + 1);
    };
    this.client.watch().prefix(prefix).startRevision(String(fromRevision)).withPreviousKV().create().then((w) => {
      watcher = w;
      w.on('data', (res) => {
        try { onData(res); } catch (e) { queue.fail(e); }
      });
      w.on('error', (err) => {
        serverCancelled = true;
        // etcd 3.4 gives no reason and etcd3 hides compact_revision: a server-side cancel of a
        // watch is (in practice) a compacted start revision. The caller re-lists either way.
        queue.fail(new TortieError('TORTIE_ERR_DATASTORE_COMPACTED',
          `${this.description} cancelled the watch of ${prefix} from revision ${fromRevision} (compacted history): ${err.message}`,
          { fromRevision }, { cause: err }));
      });
      if (queue.size === 0 && this.closed) queue.end();
    }, (e: unknown) => queue.fail(this.wrap(e, 'watch')));
    options.signal?.addEventListener('abort', () => queue.end(), { once: true });
    if (options.signal?.aborted) queue.end();
    return queue;
  }

  async compact(revision: Revision): Promise<void> {
    this.live();
    try {
      await this.client.kv.compact({ revision, physical: true });
    } catch (e) {
      if (e instanceof this.etcd.GRPCOutOfRangeError || /compacted/.test(String(e))) return; // already compacted past it
      throw this.wrap(e, 'compact');
    }
  }

  async revision(): Promise<Revision> {
    return (await this.list('\u0000\u0000tortie-revision-probe')).revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const q of [...this.watchers]) q.end();
    this.watchers.clear();
    this.client.close();
  }
}
