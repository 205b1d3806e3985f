// The node agent's loop (Felix for Tortie):
//
//   datastore ──Syncer──▶ ClusterState ──computeDesired──▶ DesiredDataplane ──driver.apply──▶ kernel
//      ▲                    (updates,       (pure, whole          (routes, VXLAN, sysctls,
//      │                     debounced)       state)                nft policy, NAT)
//      └── Node status, tunnel address (IPAM) ◀──────────────┘
//
// Nothing is programmed before the first complete view of the datastore (Felix: no cleanup until
// in-sync), and nothing is flushed when the datastore goes away: the kernel keeps the last state.
// Every refresh interval the driver re-reads the kernel, so drift (a route deleted by hand) is
// repaired by the next apply.

import { isRetryable } from '../lib/errors.js';
import type { Store } from '../datastore/ports.js';
import type { Dataplane } from '../dataplane/ports.js';
import { Syncer, type SyncStatus } from '../datastore/syncer/index.js';
import { RESOURCE_ROOT, agentStatusKey, endpointStatusKey } from '../model/index.js';
import { IPAM_ROOT } from '../ipam/block/index.js';
import { IpamService } from '../ipam/service/index.js';
import { ClusterState, computeDesired, type CalcContext, type DesiredDataplane } from '../calc/index.js';
import type { ResourceClient } from '../resources/index.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentBgp } from './bgp.js';
import { datastoreProblems, membersStatus, type AgentStatus } from './status.js';
import { writeOwnKey } from './own-key.js';
import { TunnelAddress } from './tunnel-address.js';
import type { Logger } from './logger.js';

export interface AgentOptions {
  readonly nodeName: string;
  readonly store: Store;
  readonly resources: ResourceClient;
  readonly driver: Dataplane;
  readonly calc: CalcContext;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** How often the kernel is re-read and repaired (Felix: routeRefreshInterval 90 s). */
  readonly refreshMs?: number;
  /** Updates arriving within this window are programmed together. */
  readonly debounceMs?: number;
  readonly version: string;
  /** How often the status is written even when unchanged (Felix: reportingInterval 30 s). */
  readonly reportingMs?: number;
  /** The BGP speaker's side (`--bgp`): its learned routes feed the calculation. */
  readonly bgp?: AgentBgp;
}


export class Agent {
  readonly state = new ClusterState();
  private readonly syncer: Syncer;
  private readonly tunnel: TunnelAddress;
  private syncStatus: SyncStatus | 'unreachable' = 'wait-for-datastore';
  private inSyncOnce = false;
  private dirtySince: number | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private refresh: NodeJS.Timeout | null = null;
  private report: NodeJS.Timeout | null = null;
  private lastDesired: DesiredDataplane | null = null;
  private lastApplyAt: string | undefined;
  private lastError: string | undefined;
  private lastBeat = performance.now();
  /** Endpoint status keys this agent has written (reported as programmed). */
  private readonly endpointStatuses = new Set<string>();
  private endpointStatusBusy = false;
  private endpointStatusesSeeded = false;
  private retryPending = false;
  private stopped = false;
  private writtenStatus = '';
  private statusWrittenAt = -Infinity;
  private readonly started = new Date().toISOString();

  constructor(private readonly o: AgentOptions) {
    this.tunnel = new TunnelAddress(new IpamService(o.store, o.resources), o.nodeName, o.log);
    this.syncer = new Syncer({
      store: o.store,
      prefixes: [RESOURCE_ROOT, IPAM_ROOT],
      events: {
        onUpdates: (updates) => {
          this.state.apply(updates);
          this.markDirty();
        },
        onStatus: (s) => {
          this.syncStatus = s;
          this.o.metrics.inSync.set(s === 'in-sync' ? 1 : 0);
          this.o.log.info({ datastore: s }, `datastore ${s}`);
          if (s === 'in-sync') { this.inSyncOnce = true; this.markDirty(); }
        },
        onError: (e) => {
          if (!isRetryable(e)) this.o.log.warn({ err: String(e) }, 'datastore watch failed; re-listing');
          else this.o.log.debug({ err: String(e) }, 'datastore watch interrupted; re-listing');
          if (!this.inSyncOnce || this.syncStatus !== 'in-sync') this.syncStatus = 'unreachable';
        },
      },
    });
    o.bgp?.onChange(() => this.markDirty());
  }

  start(): void {
    this.syncer.start();
    this.refresh = setInterval(() => { void this.resyncKernel(); }, this.o.refreshMs ?? 90_000);
    this.report = setInterval(() => { void this.writeStatus(); }, this.o.reportingMs ?? 30_000);
  }

  /** Stops watching; the kernel keeps what was programmed (no flush). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.refresh) clearInterval(this.refresh);
    if (this.report) clearInterval(this.report);
    await this.syncer.stop();
    await this.running;
    await this.o.bgp?.stop();
  }

  /**
   * A datastore change this process made itself (the CNI server's WorkloadEndpoint): applied at
   * once instead of after the watch's round trip. The watch delivers it again; the state ignores
   * that, as the value is the same.
   */
  inject(key: string, value: unknown): void {
    this.state.apply([{ key, value }]);
    this.markDirty();
  }

  /** The MTU for pod interfaces: the uplink's minus the encapsulation in use. */
  podMtu(): number {
    return this.lastDesired?.podMtu ?? this.o.calc.hostMtu;
  }

  live(): boolean {
    // The loop is alive when it is idle or has made progress within a minute.
    return this.running === null || performance.now() - this.lastBeat < 60_000;
  }

  notReady(): string | null {
    if (!this.inSyncOnce) return `waiting for the datastore (${this.syncStatus})`;
    if (this.lastApplyAt === undefined) return 'the dataplane has not been programmed yet';
    if (this.lastError) return `the last dataplane apply failed: ${this.lastError}`;
    return null;
  }

  status(): AgentStatus {
    const d = this.lastDesired;
    const members = this.o.store.members?.();
    const linkProblems = datastoreProblems(members);
    const state = !this.inSyncOnce ? (this.syncStatus === 'wait-for-datastore' ? 'starting' : 'syncing')
      : this.lastError || linkProblems.length > 0 ? 'degraded' : 'ready';
    return {
      state, datastore: this.syncStatus, since: this.started,
      ...(this.lastApplyAt ? { lastApply: this.lastApplyAt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      endpoints: d?.workloadInterfaces.length ?? 0, routes: d?.routes.length ?? 0,
      policies: this.state.list('NetworkPolicy').length + this.state.list('GlobalNetworkPolicy').length,
      problems: [...(d?.problems ?? []), ...linkProblems], version: this.o.version,
      ...(this.o.bgp ? { bgp: this.o.bgp.status() } : {}),
      ...(members ? { datastoreMembers: membersStatus(members) } : {}),
    };
  }

  private markDirty(): void {
    this.dirtySince ??= performance.now();
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => { this.timer = null; this.kick(); }, this.o.debounceMs ?? 10);
  }

  private kick(): void {
    if (this.running) { this.again = true; return; }
    this.running = this.program().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) { this.again = false; this.kick(); }
    });
  }

  private async program(): Promise<void> {
    if (!this.inSyncOnce) return;
    const since = this.dirtySince;
    this.dirtySince = null;
    this.lastBeat = performance.now();
    this.o.bgp?.sync(this.state);
    const desired = computeDesired(this.state, this.o.calc, this.o.bgp?.input());
    this.lastDesired = desired;
    try {
      const report = await this.o.driver.apply(desired);
      this.o.metrics.applies.inc();
      if (since !== null) this.o.metrics.programmingLatency.observe((performance.now() - since) / 1000);
      this.lastApplyAt = new Date().toISOString();
      if (this.lastError) this.o.log.info({}, 'dataplane apply recovered');
      this.lastError = undefined;
      if (report.changes.length > 0) this.o.log.debug({ changes: report.changes }, 'dataplane programmed');
      void this.writeEndpointStatuses();
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.o.metrics.applyErrors.inc({ stage: 'apply' });
      this.o.log.error({ err: this.lastError }, 'dataplane apply failed; retrying');
      // Retry soon (once): the driver re-reads the kernel first so the retry starts from the truth.
      if (!this.retryPending) {
        this.retryPending = true;
        setTimeout(() => { this.retryPending = false; void this.resyncKernel(); }, 1000).unref();
      }
    }
    this.o.metrics.endpoints.set(desired.workloadInterfaces.length);
    this.o.metrics.routes.set(desired.routes.length);
    this.o.metrics.policies.set(this.status().policies);
    this.lastBeat = performance.now();
    if (!this.stopped) void this.tunnel.maintain(this.state, desired.problems);
    void this.writeStatus();
  }

  /**
   * After a successful apply, every local workload endpoint is reported `up` under its status key,
   * and the keys of endpoints that left are removed. Writes happen in the background, in order.
   */
  private async writeEndpointStatuses(): Promise<void> {
    if (this.endpointStatusBusy || this.stopped) return;
    this.endpointStatusBusy = true;
    try {
      if (!this.endpointStatusesSeeded) {
        // What an earlier run reported: removed below if those endpoints are gone.
        const prefix = endpointStatusKey(this.o.nodeName, '', '').replace(/\/\/\/status$/, '/');
        for (const kv of (await this.o.store.list(prefix)).items) this.endpointStatuses.add(kv.key);
        this.endpointStatusesSeeded = true;
      }
      // Runs after every apply: only endpoints not reported yet get a value built and written.
      const want = new Set<string>();
      for (const w of this.state.list('WorkloadEndpoint')) {
        if (w.spec['node'] !== this.o.nodeName) continue;
        const key = endpointStatusKey(this.o.nodeName, w.metadata.namespace ?? 'default', w.metadata.name);
        want.add(key);
        if (this.endpointStatuses.has(key)) continue;
        const value = { status: 'up', interfaceName: w.spec['interfaceName'], ipNetworks: w.spec['ipNetworks'], programmedAt: new Date().toISOString() };
        try { await this.o.store.create(key, value); } catch { /* already reported by an earlier run: keep it */ }
        this.endpointStatuses.add(key);
      }
      for (const key of [...this.endpointStatuses]) {
        if (want.has(key)) continue;
        await this.o.store.delete(key).catch(() => {});
        this.endpointStatuses.delete(key);
      }
    } catch (e) {
      this.o.log.debug({ err: String(e) }, 'could not write endpoint statuses');
    } finally {
      this.endpointStatusBusy = false;
    }
  }

  /** Re-reads the kernel and programs again (self-healing). */
  async resyncKernel(): Promise<void> {
    if (this.stopped || !this.inSyncOnce) return;
    try {
      await this.o.driver.resync();
    } catch (e) {
      this.o.metrics.applyErrors.inc({ stage: 'resync' });
      this.o.log.warn({ err: String(e) }, 'reading the kernel failed');
    }
    this.markDirty();
  }

  /**
   * Writes the agent's status to its own key (Felix's status key, outside the watched resource
   * tree, so writing it does not wake every agent), when it changed or is older than the
   * reporting interval; `tortie node status` reads it.
   */
  private async writeStatus(): Promise<void> {
    const s = this.status();
    // What changes on its own (times, the call statistics) is refreshed every reporting interval,
    // not on every change: the rest decides whether the status changed.
    const { since: _since, lastApply: _last, datastoreMembers, ...rest } = s;
    const { calls: _calls, ...members } = datastoreMembers ?? { calls: undefined };
    const text = JSON.stringify({ ...rest, members });
    const stale = performance.now() - this.statusWrittenAt > (this.o.reportingMs ?? 30_000);
    if ((text === this.writtenStatus && !stale) || this.stopped) return;
    const key = agentStatusKey(this.o.nodeName);
    const value = { ...s, reportedAt: new Date().toISOString() };
    try {
      await writeOwnKey(this.o.store, key, value);
      this.writtenStatus = text;
      this.statusWrittenAt = performance.now();
    } catch (e) {
      this.o.log.debug({ err: String(e) }, 'could not write the agent status');
    }
  }
}
