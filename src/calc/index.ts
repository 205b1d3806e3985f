export { ClusterState, type KeyUpdate } from './cluster-state.js';
export {
  computeDesired, derivedVxlanMac, VXLAN_DEVICE, IPIP_DEVICE, VXLAN_OVERHEAD, IPIP_OVERHEAD,
  type CalcContext, type DesiredDataplane,
} from './desired.js';
