export { NftCli, type NftCliOptions } from './nft-cli.js';
export { Iproute2Netlink, type Iproute2Options } from './iproute2.js';
export { SysctlFs, type SysctlFsOptions } from './sysctl-fs.js';
export { writeMtuFile, readMtuFile, DEFAULT_MTU_FILE } from './mtu-file.js';
