import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentMetrics } from './metrics.js';

test('per-peer BGP figures, max-prefix hits included, are read from the speaker when scraped', async () => {
  const m = new AgentMetrics();
  m.bgpPeers = () => [{
    name: 'tor', address: '10.0.0.1', type: 'global', state: 'start', bgpState: 'Idle',
    prefixes: { received: 0, accepted: 0, advertised: 1 }, updates: { received: 4, sent: 1 }, stale: 0, maxPrefixHits: 2,
  }];
  const text = await m.registry.metrics();
  assert.match(text, /tortie_bgp_peer_max_prefix_hits_total\{peer="tor"\} 2/);
  assert.match(text, /tortie_bgp_peer_up\{peer="tor",address="10\.0\.0\.1",type="global",state="Idle"\} 0/);
});
