// Instruments of `npm run bench:agent`, wrapped around the real agent without changing it:
//
//   writer ──store──▶ Syncer ──▶ ClusterState.apply ◀── Probe.seen (hooked on the instance)
//                                     │ debounce, computeDesired
//                                     ▼
//                             ProbedDriver.apply ──▶ DataplaneDriver ──▶ Timed{Nft,Netlink,Sysctl} ──▶ kernel
//                              start/end, changes          (each kernel call on a timeline)
//
// A datastore write counts as programmed when a driver apply that *started after* the agent's
// ClusterState took the update has resolved: computeDesired reads the whole state, so that apply
// includes it, and when it resolves iproute2, nft and /proc/sys have returned.

import type { Dataplane as AgentDataplane } from '../src/dataplane/ports.js';
import type { DesiredDataplane, KeyUpdate } from '../src/calc/index.js';
import type { DataplaneDriver, Nft, Netlink, Route, Sysctl } from '../src/dataplane/index.js';
import { now } from './measure.js';

export type StageKind = 'nft' | 'route-dump' | 'route-write' | 'sysctl-read' | 'sysctl-write' | 'netlink-other';
export type Stages = Record<StageKind, { ms: number; calls: number }>;

/** Kernel calls of the current apply: wall time per kind (overlapping calls counted once). */
export class Timeline {
  private spans: Array<[StageKind, number, number]> = [];
  nftBytes = 0;
  routeLines = 0;

  reset(): void { this.spans = []; this.nftBytes = 0; this.routeLines = 0; }

  async time<T>(kind: StageKind, fn: () => Promise<T>): Promise<T> {
    const t0 = now();
    try { return await fn(); } finally { this.spans.push([kind, t0, now()]); }
  }

  summary(): Stages {
    const out = {} as Stages;
    for (const k of ['nft', 'route-dump', 'route-write', 'sysctl-read', 'sysctl-write', 'netlink-other'] as const) {
      const spans = this.spans.filter((s) => s[0] === k).sort((a, b) => a[1] - b[1]);
      let ms = 0, end = -Infinity;
      for (const [, s, e] of spans) {
        if (s >= end) { ms += e - s; end = e; } else if (e > end) { ms += e - end; end = e; }
      }
      out[k] = { ms, calls: spans.length };
    }
    return out;
  }
}

export function timedNft(inner: Nft, t: Timeline): Nft {
  return {
    apply: (text) => { t.nftBytes += Buffer.byteLength(text); return t.time('nft', () => inner.apply(text)); },
    listTable: (f, n) => t.time('nft', () => inner.listTable(f, n)),
  };
}

export function timedSysctl(inner: Sysctl, t: Timeline): Sysctl {
  return {
    read: (p) => t.time('sysctl-read', () => inner.read(p)),
    write: (p, v) => t.time('sysctl-write', () => inner.write(p, v)),
  };
}

export function timedNetlink(inner: Netlink, t: Timeline): Netlink {
  const other = <T>(fn: () => Promise<T>): Promise<T> => t.time('netlink-other', fn);
  return {
    routes: (p) => t.time('route-dump', () => inner.routes(p)),
    applyRoutes: (p, del, add) => { t.routeLines += del.length + add.length; return t.time('route-write', () => inner.applyRoutes(p, del, add)); },
    routeGet: (d) => other(() => inner.routeGet(d)),
    links: () => other(() => inner.links()),
    deleteLink: (n) => other(() => inner.deleteLink(n)),
    ensureVxlan: (s) => other(() => inner.ensureVxlan(s)),
    supportsLinkKind: (k) => other(() => inner.supportsLinkKind(k)),
    neighbours: (d) => other(() => inner.neighbours(d)),
    applyNeighbours: (d, del, add) => other(() => inner.applyNeighbours(d, del, add)),
    fdb: (d) => other(() => inner.fdb(d)),
    applyFdb: (d, del, add) => other(() => inner.applyFdb(d, del, add)),
  };
}

export interface ApplyRecord {
  readonly start: number;
  end: number;
  changes: readonly string[];
  stages: Stages | null;
  nftBytes: number;
  routeLines: number;
  error?: string;
  endpoints: number;
  routes: number;
}

/** What one observed write took, split at the points the probe sees. */
export interface Observation {
  /** Write call start → return (the store commit). */
  readonly writeMs: number;
  /** Write return → the agent's ClusterState has it (watch poll + syncer). */
  readonly noticeMs: number;
  /** → the driver apply that includes it starts (debounce, waiting for an apply in flight, computeDesired). */
  readonly toApplyMs: number;
  /** That apply: nft, sysctls, routes. */
  readonly applyMs: number;
  readonly totalMs: number;
  readonly apply: ApplyRecord;
  /** The included apply's desired state did not show the change (must never happen). */
  readonly wrong: boolean;
}

interface Waiter {
  readonly key: string;
  readonly t0: number;
  tWritten: number;
  seenAt?: number;
  attached: boolean;
  readonly check: (d: DesiredDataplane) => boolean;
  readonly resolve: (o: Observation) => void;
}

export class Probe {
  private readonly waiters = new Map<string, Waiter>();
  private readonly applyWatchers: Array<(r: ApplyRecord, d: DesiredDataplane) => boolean> = [];
  readonly errors: string[] = [];

  /** Hook for ClusterState.apply: called with the updates the agent takes in. */
  seen(updates: Iterable<KeyUpdate>): void {
    if (this.waiters.size === 0) return;
    const t = now();
    for (const u of updates) {
      const w = this.waiters.get(u.key);
      if (w && w.seenAt === undefined) w.seenAt = t;
    }
  }

  /**
   * Runs `write` and resolves when the agent has programmed it: `check` must hold for the desired
   * state of the apply that took it. Null after `timeoutMs`.
   */
  async observe(key: string, write: () => Promise<unknown>, check: (d: DesiredDataplane) => boolean, timeoutMs: number): Promise<Observation | null> {
    let resolve!: (o: Observation | null) => void;
    const done = new Promise<Observation | null>((r) => { resolve = r; });
    const w: Waiter = { key, t0: now(), tWritten: NaN, attached: false, check, resolve };
    this.waiters.set(key, w);
    await write();
    w.tWritten = now();
    const timer = setTimeout(() => { this.waiters.delete(key); resolve(null); }, timeoutMs);
    const o = await done;
    clearTimeout(timer);
    return o;
  }

  /** The next apply (ended) whose desired state satisfies `pred`. */
  nextApply(pred: (d: DesiredDataplane) => boolean): Promise<ApplyRecord> {
    return new Promise((resolve) => {
      this.applyWatchers.push((r, d) => { if (!pred(d) || r.error !== undefined) return false; resolve(r); return true; });
    });
  }

  started(): Waiter[] {
    const mine: Waiter[] = [];
    for (const w of this.waiters.values()) if (w.seenAt !== undefined && !w.attached) { w.attached = true; mine.push(w); }
    return mine;
  }

  ended(r: ApplyRecord, d: DesiredDataplane, mine: readonly Waiter[]): void {
    for (const w of mine) {
      if (r.error !== undefined) { w.attached = false; continue; } // the agent retries; a later apply will carry it
      this.waiters.delete(w.key);
      w.resolve({
        writeMs: w.tWritten - w.t0, noticeMs: w.seenAt! - w.tWritten, toApplyMs: r.start - w.seenAt!, applyMs: r.end - r.start,
        totalMs: r.end - w.t0, apply: r, wrong: !w.check(d),
      });
    }
    for (let i = this.applyWatchers.length - 1; i >= 0; i--) if (this.applyWatchers[i]!(r, d)) this.applyWatchers.splice(i, 1);
  }
}

/** The agent's dataplane port: the real driver, each apply recorded with its kernel timeline. */
export class ProbedDriver implements AgentDataplane {
  readonly applies: ApplyRecord[] = [];
  last: DesiredDataplane | null = null;

  constructor(private readonly inner: DataplaneDriver, private readonly timeline: Timeline, private readonly probe: Probe) {}

  async apply(d: DesiredDataplane): Promise<{ changes: readonly string[] }> {
    const mine = this.probe.started();
    this.timeline.reset();
    const r: ApplyRecord = {
      start: now(), end: NaN, changes: [], stages: null, nftBytes: 0, routeLines: 0,
      endpoints: d.workloadInterfaces.length, routes: d.routes.length,
    };
    this.last = d;
    try {
      const report = await this.inner.apply(d);
      r.changes = report.changes;
      return report;
    } catch (e) {
      r.error = e instanceof Error ? e.message : String(e);
      this.probe.errors.push(r.error);
      throw e;
    } finally {
      r.end = now();
      r.stages = this.timeline.summary();
      r.nftBytes = this.timeline.nftBytes;
      r.routeLines = this.timeline.routeLines;
      this.applies.push(r);
      this.probe.ended(r, d, mine);
    }
  }

  resync(): Promise<void> { return this.inner.resync(); }
}

export const hasRoute = (d: DesiredDataplane, dst: string): boolean => d.routes.some((r: Route) => r.dst === dst);
