export {
  IpamService, MAX_RETRIES, EMPTY_BLOCK_RECLAIM_AGE_MS, tunnelHandle,
  type AssignRequest, type IpamConfig, type ReleaseRequest, type Pool, type PoolUse, type TunnelKind, type IpamServiceOptions,
} from './ipam-service.js';
