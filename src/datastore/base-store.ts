// What all backends share: single-key writes expressed as one-op commits, and the one definition
// of when a write's precondition fails and which error that is. Pure: no I/O here.

import { TortieError } from '../lib/errors.js';
import type { CommitResult, KV, ListResult, Revision, Store, WatchEvent, WatchOptions, WriteOp } from './ports.js';

/** The error a write op gets when the key currently holds `current` (undefined = absent), or null. */
export function preconditionError(op: WriteOp, current: KV | undefined): TortieError | null {
  switch (op.op) {
    case 'create':
      return current === undefined
        ? null
        : new TortieError('TORTIE_ERR_DATASTORE_ALREADY_EXISTS', `Key ${op.key} already exists`, { key: op.key, current });
    case 'update':
    case 'delete':
      if (current === undefined) {
        return new TortieError('TORTIE_ERR_DATASTORE_NOT_FOUND', `Key ${op.key} does not exist`, { key: op.key });
      }
      if (op.revision !== undefined && current.revision !== op.revision) {
        return new TortieError(
          'TORTIE_ERR_DATASTORE_CONFLICT',
          `Key ${op.key} was modified: expected revision ${op.revision}, found ${current.revision}`,
          { key: op.key, current, expected: op.revision },
        );
      }
      return null;
  }
}

/** The first failing precondition of a batch, given a lookup of the current values. */
export function firstPreconditionError(ops: readonly WriteOp[], lookup: (key: string) => KV | undefined): TortieError | null {
  for (const op of ops) {
    const e = preconditionError(op, lookup(op.key));
    if (e) return e;
  }
  return null;
}

/** Rejects batches that name one key twice: their meaning would depend on op order. */
export function checkDistinctKeys(ops: readonly WriteOp[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) {
      throw new TortieError('TORTIE_ERR_INTERNAL_BUG', `A commit names key ${op.key} more than once`, { key: op.key });
    }
    seen.add(op.key);
  }
}

export function storeClosedError(description: string): TortieError {
  return new TortieError('TORTIE_ERR_DATASTORE_CLOSED', `The datastore client (${description}) is closed`);
}

/** A watch from `from` cannot be served: revisions before `compacted` are gone. */
export function compactedError(from: Revision, compacted: Revision): TortieError {
  return new TortieError(
    'TORTIE_ERR_DATASTORE_COMPACTED',
    `Cannot watch from revision ${from}: history before revision ${compacted} has been compacted`,
    { fromRevision: from, compactRevision: compacted },
  );
}

export abstract class BaseStore implements Store {
  abstract readonly description: string;
  abstract get(key: string): Promise<KV>;
  abstract list(prefix: string): Promise<ListResult>;
  abstract commit(ops: readonly WriteOp[]): Promise<CommitResult>;
  abstract watch(prefix: string, fromRevision: Revision, options?: WatchOptions): AsyncIterable<WatchEvent>;
  abstract compact(revision: Revision): Promise<void>;
  abstract revision(): Promise<Revision>;
  abstract close(): Promise<void>;

  async create(key: string, value: unknown): Promise<KV> {
    return (await this.commit([{ op: 'create', key, value }])).results[0]!;
  }

  async update(key: string, value: unknown, revision: Revision): Promise<KV> {
    return (await this.commit([{ op: 'update', key, value, revision }])).results[0]!;
  }

  async delete(key: string, revision?: Revision): Promise<KV> {
    const op: WriteOp = revision === undefined ? { op: 'delete', key } : { op: 'delete', key, revision };
    return (await this.commit([op])).results[0]!;
  }
}
