// The agent's Prometheus metrics (one registry per agent, so tests can run several).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics need of a BGP peer's status (the speaker's PeerStatus). */
export interface BgpPeerFigures {
  readonly name: string; readonly address: string; readonly type: string; readonly state: string; readonly bgpState: string;
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number };
  readonly updates: { readonly received: number; readonly sent: number };
  readonly stale: number;
  /** Times the peer went over its max-prefix limit since the agent started. */
  readonly maxPrefixHits?: number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  /** From a datastore change arriving to the kernel matching it. */
  readonly programmingLatency = new Histogram({
    name: 'tortie_programming_latency_seconds', help: 'Time from a datastore update to the dataplane being programmed',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10], registers: [this.registry],
  });
  readonly applyErrors = new Counter({ name: 'tortie_apply_errors_total', help: 'Dataplane apply failures', labelNames: ['stage'] as const, registers: [this.registry] });
  readonly applies = new Counter({ name: 'tortie_applies_total', help: 'Dataplane applies', registers: [this.registry] });
  readonly endpoints = new Gauge({ name: 'tortie_local_endpoints', help: 'Workload endpoints programmed on this node', registers: [this.registry] });
  readonly policies = new Gauge({ name: 'tortie_policies', help: 'Policies in the datastore', registers: [this.registry] });
  readonly routes = new Gauge({ name: 'tortie_routes', help: 'Routes the agent programs', registers: [this.registry] });
  readonly inSync = new Gauge({ name: 'tortie_datastore_in_sync', help: '1 when the agent has a complete, current view of the datastore', registers: [this.registry] });

  /** Per-peer BGP figures, read from the speaker when scraped (set with --bgp). */
  bgpPeers: (() => ReadonlyArray<BgpPeerFigures>) | null = null;
  readonly bgpPeerUp: Gauge<'peer' | 'address' | 'type' | 'state'> = new Gauge({
    name: 'tortie_bgp_peer_up', help: '1 when the BGP session with the peer is Established', labelNames: ['peer', 'address', 'type', 'state'] as const, registers: [this.registry],
    collect: (): void => this.collectBgp((p) => { this.bgpPeerUp.set({ peer: p.name, address: p.address, type: p.type, state: p.bgpState }, p.state === 'up' ? 1 : 0); }, this.bgpPeerUp),
  });
  readonly bgpPrefixes: Gauge<'peer' | 'kind'> = new Gauge({
    name: 'tortie_bgp_peer_prefixes', help: 'Prefixes per BGP peer: received, accepted (after import checks), advertised, stale (graceful restart)', labelNames: ['peer', 'kind'] as const, registers: [this.registry],
    collect: (): void => this.collectBgp((p) => {
      for (const kind of ['received', 'accepted', 'advertised'] as const) this.bgpPrefixes.set({ peer: p.name, kind }, p.prefixes[kind]);
      this.bgpPrefixes.set({ peer: p.name, kind: 'stale' }, p.stale);
    }, this.bgpPrefixes),
  });
  readonly bgpUpdates: Gauge<'peer' | 'direction'> = new Gauge({
    name: 'tortie_bgp_peer_updates_total', help: 'UPDATE messages exchanged with a BGP peer since the agent started', labelNames: ['peer', 'direction'] as const, registers: [this.registry],
    collect: (): void => this.collectBgp((p) => {
      this.bgpUpdates.set({ peer: p.name, direction: 'received' }, p.updates.received);
      this.bgpUpdates.set({ peer: p.name, direction: 'sent' }, p.updates.sent);
    }, this.bgpUpdates),
  });

  readonly bgpMaxPrefixHits: Gauge<'peer'> = new Gauge({
    name: 'tortie_bgp_peer_max_prefix_hits_total', help: 'Times a BGP peer went over its max-prefix limit (BGPPeer maxPrefixes) since the agent started', labelNames: ['peer'] as const, registers: [this.registry],
    collect: (): void => this.collectBgp((p) => { this.bgpMaxPrefixHits.set({ peer: p.name }, p.maxPrefixHits ?? 0); }, this.bgpMaxPrefixHits),
  });

  private collectBgp(each: (p: BgpPeerFigures) => void, g: { reset(): void }): void {
    g.reset();
    for (const p of this.bgpPeers?.() ?? []) each(p);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tortie_' });
  }
}
