// Dataplane managers: desired state → kernel through narrow ports (ports.ts); the Linux adapters
// live in ./linux.

export type { Nft, Netlink, NetlinkFailure, Sysctl, Route, Neighbour, FdbEntry, VxlanDevice, LinkInfo, DataplaneTarget, ApplyReport, Dataplane } from './ports.js';
export { VXLAN_DEVICE } from './ports.js';
export { renderRuleset, renderDiff, renderRule, renderMatch, TABLE } from './nft/render.js';
export { PolicyProgrammer, type SyncKind, type SyncReport } from './nft/policy-programmer.js';
export { renderNat, NatProgrammer, NAT_TABLE, type NatDesired } from './nft/nat.js';

// Kernel state: desired vs actual (delta-tracker.ts), one manager per object kind, applied in order.
export { DeltaTracker, deepEqual, type Pending, type DeltaTrackerOptions } from './delta-tracker.js';
export { canonicalRoute, canonicalDst, routeSatisfies } from './routes/route-canonical.js';
export { RouteManager, DEFAULT_ROUTE_PROTOCOL, type ApplyResult } from './routes/route-manager.js';
export { VxlanManager, VXLAN_VNI, VXLAN_PORT, type Vtep, type VxlanResult } from './vxlan/vxlan-manager.js';
export { SysctlManager, GLOBAL_SYSCTLS, workloadSysctls, type SysctlResult } from './sysctl/sysctl-manager.js';
export { sysctlPath, sysctlCandidates, toSlashed } from './sysctl/sysctl-path.js';
export { applyKernelState, type KernelStateManagers, type KernelStateResult } from './apply-order.js';
export { checkDevName, canonicalMac, canonicalIP, canonicalIfaceAddress, canonicalNeighbour, canonicalFdb, canonicalVxlan } from './kernel-values.js';
export { hostMtu, podMtu, DEFAULT_MTU_IFACE_PATTERN, FALLBACK_HOST_MTU, ENCAP_OVERHEAD, type Encap, type HostMtu } from './mtu.js';
export {
  chooseNodeAddress, detectNodeAddress, parseAutodetectMethod, DEFAULT_EXCLUDES, type AutodetectMethod, type NodeAddress,
} from './autodetect.js';
export { DataplaneDriver, type DriverPorts } from './driver.js';
// The fakes of the ports (fake-netlink.ts, fake-sysctl.ts, nft/fake-nft.ts) are for tests, which import them directly.
