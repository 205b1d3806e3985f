// The main table's routes that carry the agent's protocol number (Felix: 80), desired vs actual:
//
//   setDesiredRoutes / setRoute / removeRoute ──▶ DeltaTracker<dst, Route> ──apply()──▶ Netlink.applyRoutes
//   resync(): Netlink.routes(protocol) ─────────▶ actual
//
// Only routes with our protocol are ever read, so only they can be deleted as stale; a delete also
// names the protocol, so the kernel refuses it if someone else has taken the route over meanwhile.
// An add is a `replace`: it takes over a route of another protocol for the same destination (the
// CNI plugin's /32, a leftover), as Felix does for routes to its own interfaces.
// Nothing is written before the calculation side has set the desired routes once (no cleanup
// before the first in-sync), and a failed apply re-reads the kernel, so the next apply writes
// exactly what is still missing.

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

export class RouteManager {
  readonly protocol: number;
  private readonly tracker = new DeltaTracker<string, Route>({ equal: routeSatisfies });
  private synced = false;
  private desiredSet = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly netlink: Netlink, opts: { protocol?: number } = {}) {
    this.protocol = opts.protocol ?? DEFAULT_ROUTE_PROTOCOL;
  }

  /** Replaces the whole desired route set. Two routes for one destination are a caller bug. */
  setDesiredRoutes(routes: Iterable<Route>): void {
    const next = new Map<string, Route>();
    for (const r of routes) {
      const c = canonicalRoute(r);
      const dup = next.get(c.dst);
      if (dup) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Two desired routes for ${c.dst}: ${JSON.stringify(dup)} and ${JSON.stringify(c)}`, { dst: c.dst });
      next.set(c.dst, c);
    }
    this.tracker.replaceDesired(next);
    this.desiredSet = true;
  }

  setRoute(route: Route): void {
    const c = canonicalRoute(route);
    this.tracker.setDesired(c.dst, c);
  }

  removeRoute(dst: string): void {
    this.tracker.deleteDesired(canonicalDst(dst));
  }

  /** Marks the desired state complete (after incremental setRoute calls) so apply may delete. */
  markDesiredComplete(): void {
    this.desiredSet = true;
  }

  get desired(): ReadonlyMap<string, Route> { return this.tracker.desired; }
  pending(): Pending<string, Route> { return this.tracker.pending(); }
  get inSync(): boolean { return this.synced && this.tracker.inSync; }

  /** Re-reads our routes from the kernel; the next apply repairs any drift. */
  resync(): Promise<void> {
    return this.serial(() => this.doResync());
  }

  /** Writes the difference: deletes of stale routes and replaces of missing or wrong ones, in one batch. */
  apply(): Promise<ApplyResult> {
    return this.serial(async () => {
      if (!this.desiredSet) return { upserted: 0, removed: 0 };
      if (!this.synced) await this.doResync();
      try {
        const p = await this.tracker.apply((d) => this.netlink.applyRoutes(this.protocol, d.deletes.map(([, r]) => r), d.upserts.map(([, r]) => r)));
        return { upserted: p.upserts.length, removed: p.deletes.length };
      } catch (e) {
        // Part of the batch may have been applied: learn what the kernel holds now.
        await this.doResync().catch(() => { this.synced = false; });
        throw e;
      }
    });
  }

  private async doResync(): Promise<void> {
    const actual = await this.netlink.routes(this.protocol);
    this.tracker.resync(actual.map((r) => [r.dst, r] as const));
    this.synced = true;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}
