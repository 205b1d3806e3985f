// Every Calico-style kind Tortie stores. Kubernetes kinds that convert into these are in ../k8s.

import type { KindDef } from '../kind.js';
import { IPPool } from './ip-pool.js';
import { NetworkPolicy } from './network-policy.js';
import { GlobalNetworkPolicy } from './global-network-policy.js';
import { Tier } from './tier.js';
import { Profile } from './profile.js';
import { NetworkSet } from './network-set.js';
import { GlobalNetworkSet } from './global-network-set.js';
import { Node } from './node.js';
import { WorkloadEndpoint } from './workload-endpoint.js';
import { HostEndpoint } from './host-endpoint.js';
import { BGPConfiguration } from './bgp-configuration.js';
import { BGPPeer } from './bgp-peer.js';
import { FelixConfiguration } from './felix-configuration.js';
import { IPAMConfiguration } from './ipam-configuration.js';
import { ClusterInformation } from './cluster-information.js';

export const KINDS: readonly KindDef[] = [
  IPPool,
  NetworkPolicy, GlobalNetworkPolicy, Tier, Profile, NetworkSet, GlobalNetworkSet,
  Node, WorkloadEndpoint, HostEndpoint, BGPConfiguration, BGPPeer, FelixConfiguration, IPAMConfiguration, ClusterInformation,
] as KindDef[];

export { IPPool, type IPPoolSpec, ENCAP_MODES, type EncapMode } from './ip-pool.js';
export {
  RULE_ACTIONS, MAX_RULES, type Rule, type RuleAction, type EntityRule, type ICMPFields, type HTTPMatch, type HTTPPath,
  type ServiceMatch, type ServiceAccountMatch, type Port, type Protocol, protocolName, canonicalPort,
} from './rule.js';
export { NetworkPolicy, type NetworkPolicySpec, POLICY_TYPES, type PolicyType, PERFORMANCE_HINTS, type PerformanceHint, defaultTypes } from './network-policy.js';
export { GlobalNetworkPolicy, type GlobalNetworkPolicySpec } from './global-network-policy.js';
export { Tier, type TierSpec, TIER_ACTIONS, type TierAction, BUILTIN_TIERS, DEFAULT_TIER } from './tier.js';
export { Profile, type ProfileSpec } from './profile.js';
export { NetworkSet, type NetworkSetSpec } from './network-set.js';
export { GlobalNetworkSet, type GlobalNetworkSetSpec } from './global-network-set.js';
export { Node, type NodeSpec, NODE_ADDRESS_TYPES, type NodeAddressType } from './node.js';
export {
  WorkloadEndpoint, type WorkloadEndpointSpec, type WorkloadEndpointIds,
  workloadEndpointName, workloadEndpointNamePrefix, parseWorkloadEndpointName, missingNameParts,
} from './workload-endpoint.js';
export { HostEndpoint, type HostEndpointSpec } from './host-endpoint.js';
export {
  BGPConfiguration, type BGPConfigurationSpec, BGP_CONFIGURATION_DEFAULTS, CLUSTER_ROUTE_MODES, type ClusterRouteMode,
  LOG_SEVERITIES, communityProblem,
} from './bgp-configuration.js';
export { BGPPeer, type BGPPeerSpec, parsePeerIP } from './bgp-peer.js';
export { FelixConfiguration, type FelixConfigurationSpec, type ProtoPort, FELIX_DEFAULTS } from './felix-configuration.js';
export { IPAMConfiguration, type IPAMConfigurationSpec, DEFAULT_MAX_BLOCKS_PER_HOST } from './ipam-configuration.js';
export { ClusterInformation, type ClusterInformationSpec } from './cluster-information.js';
