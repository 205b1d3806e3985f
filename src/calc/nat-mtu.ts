// What the enabled pools decide beyond routes: NAT outgoing (masquerade traffic from
// natOutgoing pools to destinations outside every pool, src/dataplane/nft/nat.ts) and the pods'
// MTU, the host's less the largest encapsulation overhead in use.

import { formatCIDR } from '../lib/ip.js';
import type { Pool } from './cluster-view.js';

/** Encapsulation overheads (calico.md §6): VXLAN over IPv4 50 bytes, IPIP 20. */
export const VXLAN_OVERHEAD = 50;
export const IPIP_OVERHEAD = 20;

export function desiredNat(pools: readonly Pool[]): { masquerade: string[]; pools: string[] } {
  return {
    masquerade: pools.filter((p) => !p.spec.disabled && p.spec.natOutgoing).map((p) => formatCIDR(p.cidr)).sort(),
    pools: pools.map((p) => formatCIDR(p.cidr)).sort(),
  };
}

export function podMtu(pools: readonly Pool[], hostMtu: number): number {
  const enabled = pools.filter((p) => !p.spec.disabled);
  const encap = enabled.some((p) => p.spec.vxlanMode !== 'Never') ? VXLAN_OVERHEAD : enabled.some((p) => p.spec.ipipMode !== 'Never') ? IPIP_OVERHEAD : 0;
  return hostMtu - encap;
}
