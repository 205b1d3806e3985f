// The node's nftables policy: every policy, profile and set compiled against this node's
// endpoints (src/policy's compiler emits the neutral Ruleset), with denials done as
// FelixConfiguration's deny action says.

import { buildSnapshot, compile, type Ruleset } from '../policy/index.js';
import type { ClusterState } from './cluster-state.js';
import { denyAction } from './felix-config.js';

/** `localInterfaces`: the host-side veths of this node's workloads, whose policy this node enforces. */
export function desiredPolicy(state: ClusterState, nodeName: string, localInterfaces: ReadonlySet<string>, interfacePrefix: string): Ruleset {
  return compile(buildSnapshot({
    workloadEndpoints: state.list('WorkloadEndpoint'), hostEndpoints: state.list('HostEndpoint'), profiles: state.list('Profile'), tiers: state.list('Tier'),
    networkPolicies: state.list('NetworkPolicy'), globalNetworkPolicies: state.list('GlobalNetworkPolicy'),
    networkSets: state.list('NetworkSet'), globalNetworkSets: state.list('GlobalNetworkSet'),
  }), {
    isLocal: (e) => e.kind === 'WorkloadEndpoint' && localInterfaces.has(e.interfaceName ?? ''), interfacePrefix,
    denyAction: denyAction(state, nodeName),
  });
}
