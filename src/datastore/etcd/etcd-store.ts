// The etcd v3 backend, over Microsoft's `etcd3` client, hardened against its known pitfalls
// (reference/node-libs.md §3):
// - a cluster survives the loss of a member, and so must its clients: every call goes to the
//   member in use and moves to another when that one fails (member-pool.ts), with no circuit
//   breaker locking a host out for 5 s; a watch moves too, resuming after the last event it
//   delivered, so nothing is lost or repeated across the move;
// - a write retried after an attempt that may have been applied (the member died holding it)
//   is recognised when its compare fails: if every key holds exactly what this commit wrote, at
//   one revision, the earlier attempt won and its result is returned, not a conflict;
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

import type { Watcher, IKeyValue, IWatchResponse, ITxnResponse } from 'etcd3';
import { AsyncQueue } from '../../lib/async-queue.js';
import { TortieError, isTortieError } from '../../lib/errors.js';
import { BaseStore, checkDistinctKeys, firstPreconditionError, storeClosedError } from '../base-store.js';
import type { CommitResult, KV, ListResult, MemberProbe, MembersReport, Revision, WatchEvent, WatchOptions, WriteOp } from '../ports.js';
import { resolveAmbiguousWrite, type StoredKV } from './ambiguous-write.js';
import { classifyFailure, shortFailure } from './classify.js';
import { MemberPool, type Attempt, type EtcdTls } from './member-pool.js';

export type { EtcdTls } from './member-pool.js';

export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** Deadline of one attempt on one member. Default 4000 ms. */
  readonly attemptTimeoutMs?: number;
  /** Deadline of a call over all its attempts; past it the store is reported unavailable. Default 12000 ms. */
  readonly requestTimeoutMs?: number;
  /** Keep trying through an outage of every member until the deadline (see MemberPoolOptions). */
  readonly waitForMembers?: boolean;
}

function toRevision(s: string | number | null | undefined, what: string): Revision {
  const n = Number(s ?? 0);
  if (!Number.isSafeInteger(n)) throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `etcd returned an unusable ${what} revision: ${String(s)}`);
  return n;
}

/** Backoff of a watch between members: 100 ms doubling to 1 s. */
const watchBackoff = (attempt: number): number => Math.min(1000, 100 * 2 ** attempt);

export class EtcdStore extends BaseStore {
  readonly description: string;
  private readonly watchers = new Set<AsyncQueue<WatchEvent>>();
  private closed = false;
  /** The highest store revision any answer has shown this client. */
  private seen: Revision = 0;

  private constructor(private readonly etcd: typeof import('etcd3'), private readonly pool: MemberPool) {
    super();
    this.description = pool.description;
  }

  /** Loads `etcd3` lazily (it costs ~200 ms to import) and connects on first use. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const [etcd, pool] = await Promise.all([import('etcd3'), MemberPool.open(options)]);
    return new EtcdStore(etcd, pool);
  }

  members(): MembersReport { return this.pool.report(); }

  /**
   * Asks every member directly how it is. What each answers also moves this client as a failed
   * call would, so `inUse` is the member its next call goes to.
   */
  async probeMembers(timeoutMs = 2000): Promise<MemberProbe[]> {
    this.live();
    const probes = await Promise.all(this.pool.members.endpoints.map(async (endpoint): Promise<Omit<MemberProbe, 'inUse'>> => {
      try {
        const st = await this.pool.client(endpoint).maintenance.status({ deadline: Date.now() + timeoutMs });
        const leader = st.leader !== '0' && st.leader !== '';
        if (leader) this.pool.succeeded(endpoint);
        else this.pool.failed(endpoint, new Error('etcdserver: no leader'));
        return {
          endpoint, version: st.version, isLeader: leader && st.leader === st.header.member_id, hasLeader: leader,
          dbSizeBytes: Number(st.dbSize), raftTerm: Number(st.raftTerm), raftIndex: Number(st.raftIndex), problems: st.errors ?? [],
        };
      } catch (e) {
        this.pool.failed(endpoint, e);
        return { endpoint, error: shortFailure(e) };
      }
    }));
    const inUse = this.pool.members.inUse;
    return probes.map((p) => ({ ...p, inUse: p.endpoint === inUse }));
  }

  private saw(revision: Revision): void {
    if (revision > this.seen) this.seen = revision;
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

  /** One unary call through the member pool; failures that are not the pool's own are wrapped. */
  private async call<T>(what: string, fn: (a: Attempt) => Promise<T>, writes = false): Promise<T> {
    this.live();
    try { return await this.pool.call(what, fn, writes); } catch (e) { throw this.wrap(e, what); }
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
    const res = await this.call('read from', ({ client, deadline }) => client.kv.range({ key: Buffer.from(key) }, { deadline }));
    this.saw(toRevision(res.header.revision, 'header'));
    const kv = res.kvs[0];
    if (!kv) throw new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Key ${key} does not exist`, { key });
    return this.toKV(kv);
  }

  async list(prefix: string): Promise<ListResult> {
    const res = await this.call('list from', ({ client, deadline }) => client.kv.range({
      key: Buffer.from(prefix),
      range_end: Buffer.from(this.etcd.Range.prefix(prefix).end),
      sort_target: 'Key', sort_order: 'Ascend',
    }, { deadline }));
    const revision = toRevision(res.header.revision, 'header');
    this.saw(revision);
    return { items: res.kvs.map((kv) => this.toKV(kv)), revision };
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
    const values = ops.map((op) => (op.op === 'delete' ? null : Buffer.from(JSON.stringify(op.value))));
    const success = ops.map((op, i) => op.op === 'delete'
      ? { request_delete_range: { key: Buffer.from(op.key), prev_kv: true } }
      : { request_put: { key: Buffer.from(op.key), value: values[i]!, prev_kv: true } });
    const failure = ops.map((op) => ({ request_range: { key: Buffer.from(op.key) } }));
    // The commit, if an attempt is applied, lands after every revision this client has seen.
    const floor = this.seen;
    const outcome = await this.call('write to', async ({ client, deadline, afterAmbiguous }) => {
      const res = await client.kv.txn({ compare, success, failure }, { deadline });
      if (res.succeeded || !afterAmbiguous) return { res, earlier: null };
      // The compare failed after an attempt that may have been applied: perhaps against our own
      // write (ambiguous-write.ts).
      const readAt = async (key: string, revision: Revision): Promise<StoredKV | null> => {
        const r = await client.kv.range({ key: Buffer.from(key), revision }, { deadline });
        const kv = r.kvs[0];
        return kv ? { ...this.toKV(kv), raw: kv.value } : null;
      };
      const r = await resolveAmbiguousWrite(ops, values, this.currentOf(res), toRevision(res.header.revision, 'header'), floor, readAt);
      if ('unknown' in r) {
        // Not a conflict to retry on (it may have been applied), not a success to build on.
        throw new TortieError('TORTIE_ERR_DATASTORE_UNAVAILABLE',
          `Cannot tell whether a write to ${this.description} was applied: its answer was lost with the member that had it, and ${r.unknown}`,
          { keys: ops.map((o) => o.key), maybeApplied: true });
      }
      return { res, earlier: 'applied' in r ? r.applied : null };
    }, true);
    const { res, earlier } = outcome;
    if (earlier) { this.saw(earlier.revision); return earlier; }
    const revision = toRevision(res.header.revision, 'header');
    this.saw(revision);
    if (!res.succeeded) {
      const current = this.currentOf(res);
      const plain = (k: string): KV | undefined => { const c = current.get(k); if (!c) return undefined; const { raw: _raw, ...kv } = c; return kv; };
      throw firstPreconditionError(ops, plain)
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

  /** The keys a failed compare's else branch read, with their stored bytes. */
  private currentOf(res: ITxnResponse): Map<string, StoredKV> {
    const current = new Map<string, StoredKV>();
    for (const r of res.responses) for (const kv of r.response_range?.kvs ?? []) current.set(kv.key.toString(), { ...this.toKV(kv), raw: kv.value });
    return current;
  }

  watch(prefix: string, fromRevision: Revision, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    this.live();
    let delivered: Revision = fromRevision - 1;
    /** The library watcher of the current attempt, and whether the server cancelled it. */
    let current: { watcher: Watcher; serverCancelled: boolean } | null = null;
    let ended = false;
    const queue = new AsyncQueue<WatchEvent>(() => {
      ended = true;
      this.watchers.delete(queue);
      // Never cancel a watcher the server already cancelled (see the header comment).
      if (current && !current.serverCancelled) current.watcher.cancel().catch(() => {});
    });
    this.watchers.add(queue);

    const onData = (res: IWatchResponse): void => {
      const before = delivered; // one response may hold several events of one revision
      for (const ev of res.events) {
        const revision = toRevision(ev.kv.mod_revision, 'mod');
        if (revision <= before) continue; // a replay after a move or reconnection
        const key = ev.kv.key.toString();
        const old = ev.prev_kv ? this.toKV(ev.prev_kv) : null;
        if (ev.type === 'Delete') {
          // A delete event's kv has the key and the delete's revision, but no value.
          queue.push({ type: 'delete', key, revision, old, new: null });
        } else {
          queue.push({ type: old ? 'update' : 'create', key, revision, old, new: this.toKV(ev.kv) });
        }
        // Events of one revision (one transaction) arrive in one response: resuming after the
        // last one delivered loses none of them.
        delivered = Math.max(delivered, revision);
      }
      this.saw(delivered);
    };

    // One attempt: a watcher on the member in use, from the revision after the last delivered.
    // When its stream breaks the member is marked failed and the watch moves to the next one.
    const open = (attempt: number): void => {
      if (ended || this.closed) return;
      const endpoint = this.pool.members.inUse;
      let watcher: Watcher;
      try {
        watcher = this.pool.client(endpoint).watch().prefix(prefix).startRevision(String(delivered + 1)).withPreviousKV().watcher();
      } catch (e) {
        queue.fail(this.wrap(e, 'watch'));
        return;
      }
      const mine = { watcher, serverCancelled: false };
      current = mine;
      let moved = false;
      watcher.on('connected', () => { attempt = 0; this.pool.succeeded(endpoint); });
      watcher.on('data', (res: IWatchResponse) => {
        try { onData(res); } catch (e) { queue.fail(e); }
      });
      watcher.on('disconnected', (err: unknown) => {
        if (moved || ended) return;
        moved = true;
        // The library would retry the same member; cancelled while disconnected it just lets go.
        watcher.cancel().catch(() => {});
        if (classifyFailure(err) !== 'fatal') this.pool.failed(endpoint, err);
        setTimeout(() => open(attempt + 1), watchBackoff(attempt)).unref();
      });
      watcher.on('error', (err: Error) => {
        mine.serverCancelled = true;
        // etcd 3.4 gives no reason and etcd3 hides compact_revision: a server-side cancel of a
        // watch is (in practice) a compacted start revision. The caller re-lists either way.
        queue.fail(new TortieError('TORTIE_ERR_DATASTORE_COMPACTED',
          `${this.description} cancelled the watch of ${prefix} from revision ${delivered + 1} (compacted history): ${err.message}`,
          { fromRevision: delivered + 1 }, { cause: err }));
      });
    };
    open(0);
    options.signal?.addEventListener('abort', () => queue.end(), { once: true });
    if (options.signal?.aborted) queue.end();
    return queue;
  }

  async compact(revision: Revision): Promise<void> {
    try {
      await this.call('compact', ({ client, deadline }) => client.kv.compact({ revision, physical: true }, { deadline }));
    } catch (e) {
      const cause = isTortieError(e) ? (e.cause ?? e) : e;
      if (cause instanceof this.etcd.GRPCOutOfRangeError || /compacted/.test(String(cause))) return; // already compacted past it
      throw e;
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
    this.pool.close();
  }
}
