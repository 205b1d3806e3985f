// Desired vs actual for one kind of kernel object, after felix's `deltatracker/delta_tracker.go`:
//
//   calc side ──setDesired/deleteDesired──▶ desired ─┐
//                                                    ├─▶ pending upserts / deletes ──apply(write)──▶ kernel
//   kernel dump ──────────resync(actual)──▶ actual ──┘
//
// The pending sets are kept up to date on every change (O(1) per update), so `pending()` costs the
// size of the difference, not of the table: a node with 10,000 routes and one new pod writes one
// route. `apply()` hands the difference to a writer and records what it wrote; if the writer fails
// nothing is recorded, and because writes are idempotent (replace, delete-if-present) the next
// apply — after a resync, if the caller wants the truth — simply writes what is still missing.
//
// Keys should be primitives (a CIDR, an IP, a MAC, a sysctl path): they are Map keys.

export interface Pending<K, V> {
  /** Keys to create or overwrite, with their desired value. */
  readonly upserts: ReadonlyArray<readonly [K, V]>;
  /** Keys to remove, with the value the dataplane holds for them. */
  readonly deletes: ReadonlyArray<readonly [K, V]>;
}

export interface DeltaTrackerOptions<V> {
  /**
   * Whether the dataplane's value `actual` satisfies the desired value `desired`. Defaults to a
   * structural comparison. May be asymmetric (e.g. a desired route without `dev` accepts any dev).
   */
  readonly equal?: (desired: V, actual: V) => boolean;
}

/** Structural equality of plain data (objects, arrays, primitives); `undefined` fields are ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(ra[k], rb[k]));
}

export class DeltaTracker<K, V> {
  private readonly desiredMap = new Map<K, V>();
  private actualMap = new Map<K, V>();
  private readonly upserts = new Set<K>();
  private readonly deletes = new Set<K>();
  private readonly equal: (desired: V, actual: V) => boolean;

  constructor(opts: DeltaTrackerOptions<V> = {}) {
    this.equal = opts.equal ?? deepEqual;
  }

  /** The desired state, as the calculation side set it. */
  get desired(): ReadonlyMap<K, V> { return this.desiredMap; }
  /** What the dataplane holds, as far as this tracker knows (last resync plus its own writes). */
  get actual(): ReadonlyMap<K, V> { return this.actualMap; }

  setDesired(key: K, value: V): void {
    this.desiredMap.set(key, value);
    this.deletes.delete(key);
    this.refreshUpsert(key);
  }

  deleteDesired(key: K): void {
    this.desiredMap.delete(key);
    this.upserts.delete(key);
    if (this.actualMap.has(key)) this.deletes.add(key);
  }

  /** Replaces the whole desired state (keys not in `entries` become deletions). */
  replaceDesired(entries: Iterable<readonly [K, V]>): void {
    const next = new Map<K, V>(entries);
    for (const key of [...this.desiredMap.keys()]) if (!next.has(key)) this.deleteDesired(key);
    for (const [key, value] of next) {
      const old = this.desiredMap.get(key);
      if (old !== undefined && old === value) continue;
      this.setDesired(key, value);
    }
  }

  /** Replaces what we believe the dataplane holds with a fresh dump, and recomputes the difference. */
  resync(actual: Iterable<readonly [K, V]>): void {
    this.actualMap = new Map<K, V>(actual);
    this.upserts.clear();
    this.deletes.clear();
    for (const key of this.desiredMap.keys()) this.refreshUpsert(key);
    for (const key of this.actualMap.keys()) if (!this.desiredMap.has(key)) this.deletes.add(key);
  }

  /** The difference between desired and actual. Both lists are sorted by key for stable output. */
  pending(): Pending<K, V> {
    const upserts = [...this.upserts].sort(compareKeys).map((k) => [k, this.desiredMap.get(k)!] as const);
    const deletes = [...this.deletes].sort(compareKeys).map((k) => [k, this.actualMap.get(k)!] as const);
    return { upserts, deletes };
  }

  get inSync(): boolean {
    return this.upserts.size === 0 && this.deletes.size === 0;
  }

  /** Records that `value` was written for `key` (it now is the dataplane's value). */
  recordUpsert(key: K, value: V): void {
    this.actualMap.set(key, value);
    this.deletes.delete(key);
    if (this.desiredMap.has(key)) this.refreshUpsert(key);
    else this.deletes.add(key); // desired went away while the write was in flight
  }

  /** Records that `key` was removed from the dataplane. */
  recordDelete(key: K): void {
    this.actualMap.delete(key);
    this.deletes.delete(key);
    if (this.desiredMap.has(key)) this.upserts.add(key); // re-added while the delete was in flight
  }

  /**
   * Hands the current difference to `write` and, when it resolves, records every entry as done.
   * Changes made to the desired state while `write` runs stay pending for the next apply. When
   * `write` throws nothing is recorded and the error propagates. Returns the difference written.
   */
  async apply(write: (pending: Pending<K, V>) => Promise<void>): Promise<Pending<K, V>> {
    const p = this.pending();
    if (p.upserts.length === 0 && p.deletes.length === 0) return p;
    await write(p);
    for (const [k] of p.deletes) this.recordDelete(k);
    for (const [k, v] of p.upserts) this.recordUpsert(k, v);
    return p;
  }

  private refreshUpsert(key: K): void {
    const want = this.desiredMap.get(key);
    const have = this.actualMap.get(key);
    if (want !== undefined && (have === undefined || !this.equal(want, have))) this.upserts.add(key);
    else this.upserts.delete(key);
  }
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a), sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
