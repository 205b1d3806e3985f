// Import checks for a path received from a peer: its next hop (RFC 4271 §6.3), AS_PATH loops
// (eBGP, with allowas-in), route reflection loops (RFC 4456 §8), then the import policy. A
// rejected path is handled as a withdrawal of whatever the peer sent before for that prefix
// (RFC 7606 treat-as-withdraw).

import { parseIP } from '../../lib/ip.js';
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

export type ImportVerdict = { readonly ok: true; readonly path: Path } | {
  readonly ok: false;
  readonly reason: 'next-hop-invalid' | 'next-hop-is-us' | 'as-path-loop' | 'first-as' | 'originator-is-us' | 'cluster-loop' | 'policy';
};

/**
 * Not a unicast host address: unspecified, multicast, IPv4 class E. The codec refuses these in
 * NEXT_HOP already; MP_REACH next hops (IPv6, or IPv4 over MP) are checked here. Loopback is left
 * alone: it is a host address, and the kernel side refuses next hops off the node's subnet anyway.
 */
function unusableNextHop(text: string): boolean {
  const ip = parseIP(text);
  if (ip === null || ip.value === 0n) return true;
  if (ip.version === 4) return ip.value >= 0xe0000000n;
  return ip.value >> 120n === 0xffn;
}

export function importPath(path: Path, peer: PeerInfo, cfg: RibConfig, opts: ImportOptions): ImportVerdict {
  const a = path.attributes;
  // RFC 4271 §6.3: a next hop that is not a unicast host address is an UPDATE error, handled as
  // treat-as-withdraw (RFC 7606 §7.3; an MP_REACH next hop alike); one of our own addresses is
  // semantically wrong: the route is ignored, no NOTIFICATION, the session goes on.
  const hop = path.nextHops[0];
  if (path.peer !== undefined && hop !== undefined) {
    if (unusableNextHop(hop)) return { ok: false, reason: 'next-hop-invalid' };
    if (hop === peer.localAddress || hop === peer.localAddress6 || hop === cfg.routerId) return { ok: false, reason: 'next-hop-is-us' };
  }
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
