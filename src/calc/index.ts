export { ClusterState, type KeyUpdate } from './cluster-state.js';
export {
  computeDesired, derivedVxlanMac, IPIP_DEVICE, VXLAN_OVERHEAD, IPIP_OVERHEAD,
  type CalcContext, type DesiredDataplane, type BgpRoutesInput,
} from './desired.js';
export { bgpPlan, exportsOf, DEFAULT_AS, DEFAULT_BGP_PORT, DEFAULT_RESTART_TIME, type BgpPlan, type BgpPeerPlan, type BgpPeerType, type SecretRef } from './bgp-config.js';
