// What the RIB stores: paths (a prefix, its attributes and next hops, where it came from) and the
// peers they come from or go to.

import type { Family, Nlri, PathAttributes } from '../codec/index.js';

export interface PeerInfo {
  /** Unique key of the peer (its address, or address and port). */
  readonly id: string;
  readonly address: string;
  /** The peer's BGP identifier (from its OPEN). */
  readonly routerId: string;
  readonly as: number;
  /** Our AS on this session (BGPPeer `localASNumber` may differ from the node's AS). */
  readonly localAs: number;
  /** This iBGP peer is a route-reflector client of ours (RFC 4456). */
  readonly rrClient?: boolean;
  /** Our addresses on this session, for next-hop-self: IPv4, IPv6 global, IPv6 link-local. */
  readonly localAddress?: string;
  readonly localAddress6?: string;
  readonly localLinkLocal6?: string;
  /** Calico `nextHopMode`: Auto = eBGP self, iBGP keep (BIRD's defaults). */
  readonly nextHopMode?: 'auto' | 'self' | 'keep';
}

export const isExternal = (p: PeerInfo): boolean => p.as !== p.localAs;

export interface Path {
  readonly family: Family;
  /** The prefix (with its ADD-PATH identifier when the peer sent one). */
  readonly prefix: Nlri;
  /** Without MP_REACH/MP_UNREACH; next hops are in `nextHops`. */
  readonly attributes: PathAttributes;
  readonly nextHops: readonly string[];
  /** Undefined for a route this node originates (its IPAM blocks, static routes). */
  readonly peer?: PeerInfo;
}

export interface RibConfig {
  readonly localAs: number;
  readonly routerId: string;
  /** Set when this node is a route reflector (Calico `routeReflectorClusterID`). */
  readonly clusterId?: string;
  /** Compare MED between paths from different neighbour ASes too (off by default, RFC 4271). */
  readonly alwaysCompareMed?: boolean;
  /** Cost to reach a next hop (RFC 4271 §9.1.2.2 e); 0 when unset. */
  readonly igpCost?: (nextHop: string) => number;
}
