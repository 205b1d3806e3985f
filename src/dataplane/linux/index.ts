export { NftCli, type NftCliOptions } from './nft-cli.js';
export { Iproute2Netlink, type Iproute2Options } from './iproute2.js';
export type { KernelRoute, RouteLookup } from './kernel-route.js';
export { SysctlFs, type SysctlFsOptions } from './sysctl-fs.js';
export { writeMtuFile, readMtuFile, DEFAULT_MTU_FILE } from './mtu-file.js';
export { createPodInterface, deletePodInterface, inspectPodInterface, HOST_VETH_MAC, POD_GATEWAY, type PodInterfaceSpec, type PodInterface, type PodInterfaceState } from './pod-network.js';
