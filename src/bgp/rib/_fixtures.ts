// Peers and paths for the RIB tests. Test support, private to the rib room.

import { parseCIDR } from '../../lib/ip.js';
import type { Family, Nlri, PathAttributes, RouteChanges } from '../codec/index.js';
import type { Path, PeerInfo, RibConfig } from './types.js';

export const CFG: RibConfig = { localAs: 64512, routerId: '10.0.0.1' };
export const RR_CFG: RibConfig = { ...CFG, clusterId: '10.0.0.1' };

export const pfx = (s: string, pathId?: number): Nlri => {
  const c = parseCIDR(s)!;
  return pathId === undefined ? c : { ...c, pathId };
};

export function peer(n: number, patch: Partial<PeerInfo> = {}): PeerInfo {
  return {
    id: `10.0.1.${n}`, address: `10.0.1.${n}`, routerId: `10.0.2.${n}`, as: 64512, localAs: 64512,
    localAddress: '10.0.1.254', localAddress6: 'fd00::fe', ...patch,
  };
}
export const ebgp = (n: number, as = 65000 + n, patch: Partial<PeerInfo> = {}): PeerInfo => peer(n, { as, ...patch });

export function path(p: PeerInfo | undefined, attrs: PathAttributes, patch: Partial<Path> = {}): Path {
  return {
    family: '1/1', prefix: pfx('10.65.0.0/26'), nextHops: [p?.address ?? '10.0.1.254'],
    attributes: { origin: 0, asPath: p && p.as !== p.localAs ? [{ type: 'sequence', asns: [p.as] }] : [], ...attrs },
    ...(p ? { peer: p } : {}), ...patch,
  };
}

/** A RouteChanges announcing `prefixes` with `attrs` (as the codec would produce). */
export function announce(prefixes: readonly Nlri[], attrs: PathAttributes, nextHop = '10.0.1.9', family: Family = '1/1'): RouteChanges {
  return {
    announced: prefixes.map((nlri) => ({ family, nlri, nextHops: [nextHop] })), withdrawn: [], attributes: attrs,
    treatAsWithdraw: false, disabledFamilies: [],
  };
}
export function withdraw(prefixes: readonly Nlri[], family: Family = '1/1'): RouteChanges {
  return { announced: [], withdrawn: prefixes.map((nlri) => ({ family, nlri })), attributes: {}, treatAsWithdraw: false, disabledFamilies: [] };
}
export const eor = (family: Family): RouteChanges => ({ ...withdraw([]), endOfRib: family });
