// The agent's BGP side (`tortie agent --bgp`): confd's plan from the cluster state goes to the
// speaker; the speaker's learned routes come back as an input of the pure calculation.
//
//   ClusterState ──bgpPlan (pure)──▶ setConfig / setPeers / setExports ──▶ BgpSpeaker ◀──▶ peers
//        │                                                                    │ onRoutes (coalesced)
//        └──────────────── computeDesired(state, ctx, input()) ◀── learned routes ┘ → routes → kernel
//
// Passwords are Kubernetes secret references in Calico's resources; here they are read from a
// directory laid out as a secret volume mount (`<dir>/<secret name>/<key>`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../datastore/ports.js';
import { bgpPlan, type BgpPlan, type BgpRoutesInput, type ClusterState } from '../calc/index.js';
import { bgpRoutesKey } from '../model/index.js';
import type { BgpSpeaker, PeerSpec, SpeakerStatus } from '../bgp/speaker/index.js';
import type { Logger } from './logger.js';
import { writeOwnKey } from './own-key.js';

export interface AgentBgpOptions {
  readonly nodeName: string;
  readonly speaker: BgpSpeaker;
  readonly store: Store;
  readonly log: Logger;
  /** Where BGP passwords are read from (`<dir>/<secret>/<key>`). */
  readonly secretDir?: string;
  /** The speaker starts as restarting (R bit), as calico-node starts BIRD with -R. */
  readonly restarting?: boolean;
  /** Loc-RIB publications for `tortie bgp routes`: at most this often (ms). */
  readonly publishMs?: number;
}

export type AgentBgpStatus = SpeakerStatus & { readonly learned: number };

/** At most this many Loc-RIB entries are published for the CLI. */
const PUBLISH_LIMIT = 5000;

export class AgentBgp {
  private plan: BgpPlan | null = null;
  private sent = { config: '', peers: '', exports: '' };
  private readonly problems = new Set<string>();
  private publishTimer: NodeJS.Timeout | null = null;
  private lastPublished = '';
  private stopped = false;
  /** The speaker's learned routes as last read; null once they changed (read again on demand). */
  private learned: BgpRoutesInput['routes'] | null = null;

  constructor(private readonly o: AgentBgpOptions) {
    // Registered before any onChange listener, so a recalculation it triggers reads fresh routes.
    o.speaker.onRoutes(() => { this.learned = null; this.schedulePublish(); });
  }

  /** `cb` runs when learned routes or peer states change (the agent reprograms and reports). */
  onChange(cb: () => void): void {
    this.o.speaker.onRoutes(() => cb());
    let t: NodeJS.Timeout | null = null;
    this.o.speaker.onStatus(() => {
      if (t || this.stopped) return;
      t = setTimeout(() => { t = null; cb(); }, 500);
      t.unref();
    });
  }

  /** Brings the speaker to what the cluster state says (only what changed is passed on). */
  sync(state: ClusterState): void {
    if (this.stopped) return;
    const plan = bgpPlan(state, this.o.nodeName);
    this.plan = plan;
    this.problems.clear();
    if (!plan) { this.problems.add(`Node ${this.o.nodeName} has no bgp.ipv4Address yet: the BGP speaker waits for it`); return; }
    for (const p of plan.problems) this.problems.add(p);
    const config = { ...plan.config, restarting: this.o.restarting ?? true };
    const cj = JSON.stringify(config);
    if (cj !== this.sent.config) {
      this.sent.config = cj;
      this.o.speaker.setConfig(config).catch((e: unknown) => this.o.log.error({ err: String(e) }, 'BGP: configuration refused'));
    }
    const peers = plan.peers.flatMap((p): PeerSpec[] => {
      const { passwordRef, ...rest } = p;
      if (!passwordRef) return [rest];
      const password = this.secret(passwordRef.name, passwordRef.key);
      if (password === undefined) {
        this.problems.add(`BGP peer ${p.name}: password secret ${passwordRef.name}/${passwordRef.key} not found under ${this.o.secretDir ?? '(no --bgp-secret-dir)'}; session not started`);
        return [];
      }
      return [{ ...rest, password }];
    });
    const pj = JSON.stringify(peers);
    if (pj !== this.sent.peers) { this.sent.peers = pj; this.o.speaker.setPeers(peers); }
    const ej = JSON.stringify([plan.exports, plan.exportPools]);
    if (ej !== this.sent.exports) { this.sent.exports = ej; this.o.speaker.setExports(plan.exports, plan.exportPools); }
    this.schedulePublish();
  }

  input(): BgpRoutesInput {
    return {
      converged: this.plan !== null && this.o.speaker.converged,
      // Every calculation asks; the table is formatted and sorted only when it changed.
      routes: this.learned ??= this.o.speaker.learnedRoutes(),
      programClusterRoutes: this.plan?.programClusterRoutes ?? 'EnabledNoEncapOnly',
    };
  }

  status(): AgentBgpStatus {
    const s = this.o.speaker.status();
    return { ...s, learned: this.o.speaker.learnedCount, problems: [...this.problems, ...s.problems] };
  }

  /** Graceful: sessions drop without a NOTIFICATION; peers and our kernel keep the routes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.publishTimer) clearTimeout(this.publishTimer);
    await this.o.speaker.stop();
  }

  private secret(name: string, key: string): string | undefined {
    if (!this.o.secretDir) return undefined;
    try { return readFileSync(join(this.o.secretDir, name, key), 'utf8').replace(/\r?\n$/, ''); } catch { return undefined; }
  }

  private schedulePublish(): void {
    if (this.publishTimer || this.stopped) return;
    this.publishTimer = setTimeout(() => { this.publishTimer = null; void this.publish(); }, this.o.publishMs ?? 1000);
    this.publishTimer.unref();
  }

  /** The Loc-RIB (each entry with why its best path won) under the node's bgp/routes key. */
  private async publish(): Promise<void> {
    const all = this.o.speaker.routes();
    const value = { routes: all.slice(0, PUBLISH_LIMIT), total: all.length, truncated: all.length > PUBLISH_LIMIT };
    const text = JSON.stringify(value);
    if (text === this.lastPublished || this.stopped) return;
    const key = bgpRoutesKey(this.o.nodeName);
    try {
      await writeOwnKey(this.o.store, key, { ...value, reportedAt: new Date().toISOString() });
      this.lastPublished = text;
    } catch (e) {
      this.o.log.debug({ err: String(e) }, 'could not publish the BGP routes');
      this.schedulePublish();
    }
  }
}
