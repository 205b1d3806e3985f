// Import checks for a path received from a peer: AS_PATH loops (eBGP, with allowas-in), route
// reflection loops (RFC 4456 §8), then the import policy. A rejected path is handled as a
// withdrawal of whatever the peer sent before for that prefix (RFC 7606 treat-as-withdraw).

import { asCount, neighborAs } from '../codec/index.js';
import { isExternal, type Path, type PeerInfo, type RibConfig } from './types.js';

/** Returns the path to keep (possibly modified), or null to reject it. */
export type ImportPolicy = (path: Path, peer: PeerInfo) => Path | null;

export interface ImportOptions {
  /** Calico `numAllowedLocalASNumbers`: how often our AS may appear in a path from an eBGP peer. */
  readonly allowAsIn?: number;
  /** Adj-RIB-In size above which the peer is reported (BIRD `import limit`). */
  readonly maxPrefix?: number;
  /** RFC 4271 §6.3: an eBGP path must start with the peer's AS (BIRD `enforce first as`, off by default). */
  readonly enforceFirstAs?: boolean;
  readonly policy?: ImportPolicy;
}

export type ImportVerdict = { readonly ok: true; readonly path: Path } | { readonly ok: false; readonly reason: 'as-path-loop' | 'first-as' | 'originator-is-us' | 'cluster-loop' | 'policy' };

export function importPath(path: Path, peer: PeerInfo, cfg: RibConfig, opts: ImportOptions): ImportVerdict {
  const a = path.attributes;
  if (isExternal(peer) && asCount(a.asPath, peer.localAs) > (opts.allowAsIn ?? 0)) return { ok: false, reason: 'as-path-loop' };
  if (opts.enforceFirstAs && isExternal(peer) && neighborAs(a.asPath) !== peer.as) return { ok: false, reason: 'first-as' };
  if (!isExternal(peer)) {
    if (a.originatorId !== undefined && a.originatorId === cfg.routerId) return { ok: false, reason: 'originator-is-us' };
    const cluster = cfg.clusterId;
    if (cluster !== undefined && a.clusterList?.includes(cluster)) return { ok: false, reason: 'cluster-loop' };
  }
  if (opts.policy) {
    const p = opts.policy(path, peer);
    return p === null ? { ok: false, reason: 'policy' } : { ok: true, path: p };
  }
  return { ok: true, path };
}
