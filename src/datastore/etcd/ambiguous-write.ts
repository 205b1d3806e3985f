// Was a commit applied although its answer was lost?
//
// A write sent to a member that then died (or timed out, or lost its leader) may or may not have
// been applied. Retried on another member, its compare fails if it was — against its own write —
// and the caller would see a conflict for a write that succeeded: an IPAM allocation reported as
// lost is an address leaked. So after such an ambiguous attempt a failed compare is looked into:
//
// 1. the keys as they are now: every key the commit put holds exactly the bytes it put, all at
//    one mod revision (one transaction), and every key it deleted is gone — it was applied;
// 2. else the one revision at which it could have been applied, found in the history (etcd
//    reads at a past revision). An update compared its key's mod revision with R0, so if it was
//    applied it is exactly the key's next version after R0: a binary search over revisions finds
//    that version (the first revision r > R0 at which the key's mod revision is past R0) in
//    about log2(revisions since R0) reads, however many writers came after. Without an update,
//    a create is the version at the key's create revision (a handle: created once). The commit
//    was applied iff at that revision every key it put holds its bytes and every key it deleted
//    was deleted then.
//
// Three answers: applied (with the result the lost answer carried), not applied (the compare's
// failure stands), or unknown (history compacted away; or a created key deleted since, when the
// commit had no update). A read that fails on the way is not an answer: it is thrown, and the
// caller retries the whole attempt. Someone else writing the very same bytes to the very same
// keys in one transaction is indistinguishable from us — and harmless.

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
 * sent — the commit, if applied, came after it. `header`: the store revision the failed compare
 * was evaluated at. Reads that fail (other than for compacted history) reject: they decide nothing.
 */
export async function resolveAmbiguousWrite(
  ops: readonly WriteOp[],
  written: readonly (Buffer | null)[],
  current: ReadonlyMap<string, StoredKV>,
  header: Revision,
  floor: Revision,
  readAt: ReadAt,
): Promise<Resolution> {
  const now = earlierWrite(ops, written, current, header);
  if (now) return { applied: now };
  try {
    const r = await candidateRevision();
    if (typeof r !== 'number') return r;
    const at = await allAt(r);
    return at ? { applied: at } : { notApplied: true };
  } catch (e) {
    if (isCompacted(e)) return { unknown: 'the history that would tell has been compacted' };
    throw e;
  }

  /** The only revision the commit can have been applied at, or the answer when there is none. */
  async function candidateRevision(): Promise<Revision | Resolution> {
    const update = ops.find((op): op is Extract<WriteOp, { op: 'update' }> => op.op === 'update');
    if (update) {
      // The first revision after R0 at which the key has changed (or is gone): its next version.
      const changed = async (r: Revision): Promise<boolean> => ((await readAt(update.key, r))?.revision ?? Infinity) > update.revision;
      let lo = Math.max(update.revision, floor) + 1, hi = header;
      if (lo > hi || !(await changed(hi))) return { notApplied: true };
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (await changed(mid)) hi = mid; else lo = mid + 1;
      }
      return lo;
    }
    const create = ops.find((op) => op.op === 'create');
    if (create) {
      const kv = current.get(create.key);
      if (!kv) return { unknown: `${create.key} was created and deleted again, or never created` };
      return kv.createRevision > floor ? kv.createRevision : { notApplied: true };
    }
    // Deletes only, with a key still there: the delete did not happen.
    return { notApplied: true };
  }

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
