// The agent's Prometheus metrics (one registry per agent, so tests can run several).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tortie_' });
  }
}
