// The datastore port: a revisioned key-value store with compare-and-swap writes and a watch that
// replays history from a revision. Every backend (etcd v3, embedded SQLite, in-memory) implements
// it and passes the same contract suite (`test/datastore/contract.ts`).
//
// Semantics follow etcd v3, which Calico's etcdv3 backend relies on:
// - one global revision counter; every committed write (a whole `commit`) bumps it by one;
// - `revision` of a KV is its mod revision, the CAS token for update and delete;
// - `watch(prefix, from)` delivers every change with revision >= `from`, in revision order, each
//   exactly once, with the previous value; history older than the compaction point is gone and
//   the watch fails with TORTIE_ERR_DATASTORE_COMPACTED (the caller re-lists);
// - failures of the transport are TORTIE_ERR_DATASTORE_UNAVAILABLE, marked retryable.

/** A datastore revision. etcd's int64 revisions stay far below 2^53 in practice; adapters check. */
export type Revision = number;

export interface KV {
  readonly key: string;
  /** The decoded JSON value. */
  readonly value: unknown;
  /** Mod revision: the revision of the write that produced this value. */
  readonly revision: Revision;
  readonly createRevision: Revision;
  /** Number of writes to the key since it was created (1 for a fresh key). */
  readonly version: number;
}

export interface ListResult {
  readonly items: readonly KV[];
  /** The store revision the list was read at; watch from `revision + 1` to follow it. */
  readonly revision: Revision;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly key: string;
  readonly revision: Revision;
  /** The value before the change (null for a create). */
  readonly old: KV | null;
  /** The value after the change (null for a delete). */
  readonly new: KV | null;
}

/** One write of an atomic `commit`. */
export type WriteOp =
  /** Fails with ALREADY_EXISTS when the key exists. */
  | { readonly op: 'create'; readonly key: string; readonly value: unknown }
  /** Fails with NOT_FOUND when absent, CONFLICT when its mod revision is not `revision`. */
  | { readonly op: 'update'; readonly key: string; readonly value: unknown; readonly revision: Revision }
  /** Fails with NOT_FOUND when absent, CONFLICT when `revision` is given and differs. */
  | { readonly op: 'delete'; readonly key: string; readonly revision?: Revision };

export interface CommitResult {
  /** The store revision of the commit. */
  readonly revision: Revision;
  /** Per op: the new KV (create/update) or the deleted KV (delete). */
  readonly results: readonly KV[];
}

export interface WatchOptions {
  /** Ends the iteration (no error) when aborted. */
  readonly signal?: AbortSignal;
}

/** One member of a clustered store (etcd), as this client sees it. */
export interface MemberView {
  readonly endpoint: string;
  /** The member this client's calls and watches go to. */
  readonly inUse: boolean;
  /** The last failure, when no call has worked on the member since. `at`: epoch ms. */
  readonly failure?: { readonly error: string; readonly at: number };
  /** Epoch ms of the last call that worked on it. */
  readonly lastOk?: number;
}

/** Which member a clustered store's client uses and how the others fared (`tortie node status`). */
export interface MembersReport {
  readonly inUse: string;
  readonly members: readonly MemberView[];
  /** The last minute's calls: durations over all their attempts, failed attempts, failed calls. */
  readonly calls?: { readonly calls: number; readonly p50Ms: number; readonly p99Ms: number; readonly failedAttempts: number; readonly failedCalls: number };
}

/** One member asked directly how it is (`tortie datastore status`). */
export interface MemberProbe {
  readonly endpoint: string;
  /** The member this client uses. */
  readonly inUse: boolean;
  /** What went wrong asking it; absent when it answered. */
  readonly error?: string;
  readonly version?: string;
  readonly isLeader?: boolean;
  /** False when the member answers but knows no leader (cut off from the quorum). */
  readonly hasLeader?: boolean;
  readonly dbSizeBytes?: number;
  readonly raftTerm?: number;
  readonly raftIndex?: number;
  /** Alarms and errors the member reports (e.g. NOSPACE). */
  readonly problems?: readonly string[];
}

export interface Store {
  /** Where the store lives, for messages: "etcd at http://127.0.0.1:2379", "sqlite file /…/store.db". */
  readonly description: string;

  /** For a clustered store: the member in use and the ones that failed. */
  members?(): MembersReport;
  /** For a clustered store: every member asked directly, each within a short deadline. */
  probeMembers?(): Promise<MemberProbe[]>;

  get(key: string): Promise<KV>;
  /** Every key starting with `prefix`, sorted by key, and the revision they were read at. */
  list(prefix: string): Promise<ListResult>;

  create(key: string, value: unknown): Promise<KV>;
  update(key: string, value: unknown, revision: Revision): Promise<KV>;
  /** Returns the deleted KV. */
  delete(key: string, revision?: Revision): Promise<KV>;
  /**
   * All ops or none. The first op whose precondition fails decides the error, whose details carry
   * `key` and, where the key exists, `current` (the KV found).
   */
  commit(ops: readonly WriteOp[]): Promise<CommitResult>;

  watch(prefix: string, fromRevision: Revision, options?: WatchOptions): AsyncIterable<WatchEvent>;

  /** Discards history before `revision`. Watches from older revisions then fail as COMPACTED. */
  compact(revision: Revision): Promise<void>;
  /** The current store revision. */
  revision(): Promise<Revision>;

  close(): Promise<void>;
}
