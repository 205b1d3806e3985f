// Was a commit applied although its answer was lost?
//
// A write sent to a member that then died (or timed out, or lost its leader) may or may not have
// been applied. Retried on another member, its compare fails if it was — against its own write —
// and the caller would see a conflict for a write that succeeded: an IPAM allocation reported as
// lost is an address leaked. So after such an ambiguous attempt a failed compare is looked into:
//
// 1. the keys as they are now: every key the commit put holds exactly the bytes it put, all at
//    one mod revision (one transaction), and every key it deleted is gone — it was applied;
// 2. else the history since the commit was first sent: another writer may have changed a key
//    since (another allocation in the same block). One key's earlier versions are walked back
//    (etcd reads at a past revision), newest first, to a revision no later than the last one this
//    client had seen before sending; a version with our bytes at revision r is ours if at r every
//    other key the commit put got our bytes too and every key it deleted was deleted.
//
// The walk reads one key per step, and the key chosen is one the commit created if there is one
// (a fresh handle: one or two versions), so it is short. It ends in one of three answers:
// applied (with the result the lost answer carried), not applied (the walk reached a version
// older than the commit could be, and ours was not there: the compare's failure stands), or
// unknown (more than `maxSteps` versions, or history compacted away). A read that fails on the
// way is not an answer: it is thrown, and the caller retries the whole attempt. Someone else
// writing the very same bytes to the very same keys in one transaction is indistinguishable from
// us — and harmless.

import type { CommitResult, KV, Revision, WriteOp } from '../ports.js';

/** A key as stored: its decoded KV and the exact bytes. */
export type StoredKV = KV & { readonly raw: Buffer };

/** The key as it was at `revision` (its latest version at or before it), or null if absent then. */
export type ReadAt = (key: string, revision: Revision) => Promise<StoredKV | null>;

/** The history asked for is gone (etcd: "required revision has been compacted"). */
export const isCompacted = (e: unknown): boolean => /compacted/i.test(e instanceof Error ? e.message : String(e));

export type Resolution =
  | { readonly applied: CommitResult }
  | { readonly notApplied: true }
  | { readonly unknown: string };

const plain = ({ raw: _raw, ...kv }: StoredKV): KV => kv;

function deleteResult(op: WriteOp, at: Revision): KV {
  // The old value went with the lost answer.
  return { key: op.key, value: null, revision: op.op === 'delete' && op.revision !== undefined ? op.revision : at, createRevision: 0, version: 0 };
}

/** Step 1: the result of the earlier attempt if the keys as they are now show it, or null. */
export function earlierWrite(
  ops: readonly WriteOp[],
  written: readonly (Buffer | null)[],
  current: ReadonlyMap<string, StoredKV>,
  header: Revision,
): CommitResult | null {
  let revision: Revision | null = null;
  for (const [i, op] of ops.entries()) {
    const kv = current.get(op.key);
    if (op.op === 'delete') { if (kv) return null; continue; }
    if (!kv || !kv.raw.equals(written[i]!)) return null;
    if (revision !== null && kv.revision !== revision) return null;
    revision = kv.revision;
  }
  // Deletes only: gone is what was asked; the header's revision is at or after the deletion.
  const at = revision ?? header;
  return { revision: at, results: ops.map((op) => (op.op === 'delete' ? deleteResult(op, at) : plain(current.get(op.key)!))) };
}

/**
 * Steps 1 and 2. `floor`: the highest revision this client had seen before the commit was first
 * sent — the commit, if applied, came after it. Reads that fail (other than for compacted
 * history) reject: they decide nothing.
 */
export async function resolveAmbiguousWrite(
  ops: readonly WriteOp[],
  written: readonly (Buffer | null)[],
  current: ReadonlyMap<string, StoredKV>,
  header: Revision,
  floor: Revision,
  readAt: ReadAt,
  maxSteps = 64,
): Promise<Resolution> {
  const now = earlierWrite(ops, written, current, header);
  if (now) return { applied: now };
  const puts = ops.flatMap((op, i) => (op.op === 'delete' ? [] : [i]));
  // Deletes only, with a key still there: the delete did not happen.
  if (puts.length === 0) return { notApplied: true };
  const lead = puts.find((i) => ops[i]!.op === 'create') ?? puts[0]!;
  const key = ops[lead]!.key;
  let kv = current.get(key) ?? null;
  try {
    for (let step = 0; kv !== null && kv.revision > floor; step++) {
      if (step >= maxSteps) return { unknown: `${key} changed more than ${maxSteps} times since` };
      if (kv.raw.equals(written[lead]!)) {
        const at = await allAt(kv.revision);
        if (at) return { applied: at };
      }
      kv = await readAt(key, kv.revision - 1);
    }
  } catch (e) {
    if (isCompacted(e)) return { unknown: `the history of ${key} has been compacted` };
    throw e;
  }
  return { notApplied: true };

  /** The commit's result if at revision `r` every key changed as the commit changes it. */
  async function allAt(r: Revision): Promise<CommitResult | null> {
    const results: KV[] = [];
    for (const [i, op] of ops.entries()) {
      const then = await readAt(op.key, r);
      if (op.op === 'delete') {
        if (then !== null || (await readAt(op.key, r - 1)) === null) return null;
        results.push(deleteResult(op, r));
      } else {
        if (!then || then.revision !== r || !then.raw.equals(written[i]!)) return null;
        results.push(plain(then));
      }
    }
    return { revision: r, results };
  }
}
