// The main table's routes that carry the agent's protocol number (Felix: 80), desired vs actual:
//
//   setDesiredRoutes / setRoute / removeRoute ──▶ DeltaTracker<dst, Route> ──apply()──▶ Netlink.applyRoutes × N in flight
//        │ (each changed dst queued once)                   ▲ actual             (chunks of ≤ `chunk` routes)
//   resync(): Netlink.routes(protocol) ─────────────────────┘
//
// Only routes with our protocol are ever read, so only they can be deleted as stale; a delete also
// names the protocol, so the kernel refuses it if someone else has taken the route over meanwhile.
// An add is a `replace`: it takes over a route of another protocol for the same destination (the
// CNI plugin's /32, a leftover), as Felix does for routes to its own interfaces.
//
// Writes are pipelined: an apply hands out chunks of the changed destinations to up to `parallel`
// batch writers at once (the kernel's route insertion is most of the cost, and `ip -batch`
// processes on several CPUs overlap it), and keeps taking what is changed while it runs — a BGP
// full table streams into the kernel as it arrives instead of after the last UPDATE. Only the
// destinations touched since the last write are looked at, never the whole table.
//
// Until the calculation side says the desired state is complete (setDesiredRoutes, or
// markDesiredComplete after incremental setRoute calls), routes are added and replaced but never
// deleted: a restarting agent keeps what the kernel holds until it knows the whole table (BIRD's
// kernel protocol does the same during graceful restart). A failed apply re-reads the kernel, so
// the next apply writes exactly what is still missing.

import { DeltaTracker, type Pending } from '../delta-tracker.js';
import type { Netlink, Route } from '../ports.js';
import { TortieError } from '../../lib/errors.js';
import { canonicalDst, canonicalRoute, routeSatisfies } from './route-canonical.js';

export const DEFAULT_ROUTE_PROTOCOL = 80;

export interface ApplyResult {
  /** Keys written (added or replaced) and removed by this apply. */
  readonly upserted: number;
  readonly removed: number;
}

export interface RouteManagerOptions {
  readonly protocol?: number;
  /** Routes per batch write (default 2048). */
  readonly chunk?: number;
  /** Batch writes in flight at once (default 4: two writers, each with the next batch queued). */
  readonly parallel?: number;
}

interface Batch { readonly dels: Route[]; readonly adds: Route[] }

export class RouteManager {
  readonly protocol: number;
  private readonly chunk: number;
  private readonly parallel: number;
  private readonly tracker = new DeltaTracker<string, Route>({ equal: routeSatisfies });
  /** Destinations whose desired or actual route changed and that no writer has taken yet, in order. */
  private readonly queue = new DstQueue();
  /** Stale routes whose delete waits for the desired state to be complete. */
  private readonly deferred = new Set<string>();
  private readonly inFlight = new Set<string>();
  private synced = false;
  private desiredSet = false;
  private serialQueue: Promise<unknown> = Promise.resolve();
  /** Set while an apply runs: starts writers for routes queued meanwhile. */
  private wake: (() => void) | null = null;
  private wakeQueued = false;

  constructor(private readonly netlink: Netlink, opts: RouteManagerOptions = {}) {
    this.protocol = opts.protocol ?? DEFAULT_ROUTE_PROTOCOL;
    this.chunk = Math.max(1, opts.chunk ?? 2048);
    this.parallel = Math.max(1, opts.parallel ?? 4);
  }

  /** Replaces the whole desired route set (and marks it complete). Two routes for one destination are a caller bug. */
  setDesiredRoutes(routes: Iterable<Route>): void {
    const next = new Map<string, Route>();
    for (const r of routes) {
      const c = canonicalRoute(r);
      const dup = next.get(c.dst);
      if (dup) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Two desired routes for ${c.dst}: ${JSON.stringify(dup)} and ${JSON.stringify(c)}`, { dst: c.dst });
      next.set(c.dst, c);
    }
    for (const k of this.tracker.desired.keys()) if (!next.has(k)) this.enqueue(k);
    for (const k of next.keys()) this.enqueue(k);
    this.tracker.replaceDesired(next);
    this.markDesiredComplete();
  }

  setRoute(route: Route): void {
    const c = canonicalRoute(route);
    this.tracker.setDesired(c.dst, c);
    this.enqueue(c.dst);
  }

  removeRoute(dst: string): void {
    const k = canonicalDst(dst);
    this.tracker.deleteDesired(k);
    this.enqueue(k);
  }

  /** Marks the desired state complete (after incremental setRoute calls) so apply may delete. */
  markDesiredComplete(): void {
    if (this.desiredSet) return;
    this.desiredSet = true;
    for (const k of this.deferred) this.enqueue(k);
    this.deferred.clear();
  }

  get desired(): ReadonlyMap<string, Route> { return this.tracker.desired; }
  pending(): Pending<string, Route> { return this.tracker.pending(); }
  get inSync(): boolean { return this.synced && this.tracker.inSync; }

  /** Re-reads our routes from the kernel; the next apply repairs any drift. */
  resync(): Promise<void> {
    return this.serial(() => this.doResync());
  }

  /**
   * Writes the difference — deletes of stale routes (once the desired state is complete) and
   * replaces of missing or wrong ones — in pipelined batches, including what changes while it
   * runs; resolves when nothing is left to write.
   */
  apply(): Promise<ApplyResult> {
    return this.serial(async () => {
      if (!this.synced) await this.doResync();
      const r = await this.writeQueued();
      if (r.failure === undefined) return { upserted: r.upserted, removed: r.removed };
      // Part of a batch may have been applied: learn what the kernel holds now.
      await this.doResync().catch(() => { this.synced = false; });
      throw r.failure;
    });
  }

  private enqueue(k: string): void {
    if (!this.queue.push(k)) return;
    if (this.wake && !this.wakeQueued) {
      this.wakeQueued = true;
      queueMicrotask(() => { this.wakeQueued = false; this.wake?.(); });
    }
  }

  /** Runs up to `parallel` batch writers until the queue holds nothing writable and none is busy. */
  private writeQueued(): Promise<{ upserted: number; removed: number; failure?: unknown }> {
    return new Promise((resolve) => {
      let upserted = 0, removed = 0, running = 0;
      let failure: unknown;
      let failed = false;
      const done = (): void => {
        this.wake = null;
        resolve(failed ? { upserted, removed, failure } : { upserted, removed });
      };
      const start = (): void => {
        while (!failed && running < this.parallel) {
          const b = this.take(this.chunk);
          if (!b) break;
          running++;
          this.netlink.applyRoutes(this.protocol, b.dels, b.adds).then(() => {
            for (const r of b.dels) this.tracker.recordDelete(r.dst);
            for (const r of b.adds) this.tracker.recordUpsert(r.dst, r);
            removed += b.dels.length;
            upserted += b.adds.length;
          }, (e: unknown) => {
            if (!failed) { failed = true; failure = e; }
          }).finally(() => {
            for (const r of b.dels) this.inFlight.delete(r.dst);
            for (const r of b.adds) this.inFlight.delete(r.dst);
            running--;
            start();
            if (running === 0) done();
          });
        }
      };
      this.wake = start;
      start();
      if (running === 0) done();
    });
  }

  /** Up to `max` queued destinations that need a write (deletes first), marked in flight; null when none. */
  private take(max: number): Batch | null {
    const dels: Route[] = [], adds: Route[] = [];
    const desired = this.tracker.desired, actual = this.tracker.actual;
    const busy: string[] = [];
    for (let k = this.queue.shift(); k !== undefined; k = dels.length + adds.length < max ? this.queue.shift() : undefined) {
      if (this.inFlight.has(k)) { busy.push(k); continue; } // looked at again once its write is recorded
      const want = desired.get(k), have = actual.get(k);
      if (want !== undefined) {
        if (have !== undefined && routeSatisfies(want, have)) continue;
        adds.push(want);
      } else if (have !== undefined) {
        if (!this.desiredSet) { this.deferred.add(k); continue; }
        dels.push(have);
      } else continue;
      this.inFlight.add(k);
    }
    for (const k of busy) this.queue.push(k);
    return dels.length + adds.length === 0 ? null : { dels, adds };
  }

  private async doResync(): Promise<void> {
    const actual = await this.netlink.routes(this.protocol);
    this.tracker.resync(actual.map((r) => [r.dst, r] as const));
    this.synced = true;
    const p = this.tracker.pending();
    for (const [k] of p.deletes) this.enqueue(k);
    for (const [k] of p.upserts) this.enqueue(k);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.serialQueue.then(fn, fn);
    this.serialQueue = next.catch(() => {});
    return next;
  }
}

/**
 * A first-in first-out set of destinations. (A JS Set emptied from the front keeps its deleted
 * slots until it shrinks, so taking chunks off a 100,000-entry Set gets slower with each chunk.)
 */
class DstQueue {
  private items: string[] = [];
  private head = 0;
  private readonly members = new Set<string>();

  /** Adds `k` unless already queued; returns whether it was added. */
  push(k: string): boolean {
    if (this.members.has(k)) return false;
    this.members.add(k);
    this.items.push(k);
    return true;
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const k = this.items[this.head++]!;
    this.members.delete(k);
    if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return k;
  }
}
