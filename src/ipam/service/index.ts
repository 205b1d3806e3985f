export {
  IpamService, MAX_RETRIES, EMPTY_BLOCK_RECLAIM_AGE_MS,
  type AssignRequest, type IpamConfig, type ReleaseRequest, type IpamServiceOptions,
} from './ipam-service.js';
export type { Pool, PoolUse } from '../block/index.js';
export { assignTunnelAddress, releaseTunnelAddress, tunnelHandle, type TunnelKind } from './tunnel-addresses.js';
