// Which pools may give a node an address: enabled, allowing the use (Workload or Tunnel), and
// selecting the node with their nodeSelector — narrowed to the pools a request names, where each
// named pool must qualify (a clear error says why one does not).

import { TortieError } from '../../lib/errors.js';
import { formatCIDR, type CIDR } from '../../lib/ip.js';
import type { IPPoolSpec, Resource } from '../../model/index.js';
import { matches, parseSelector } from '../../selector/index.js';

export type PoolUse = 'Workload' | 'Tunnel';

export interface Pool { readonly name: string; readonly cidr: CIDR; readonly spec: IPPoolSpec }

export function selectPools(all: readonly Pool[], node: Resource, use: PoolUse, requested?: readonly string[]): Pool[] {
  const v4 = all.filter((p) => p.cidr.version === 4);
  const labels = node.metadata.labels ?? {};
  const why = (p: Pool): string | null => {
    if (p.spec.disabled) return 'is disabled';
    if (!p.spec.allowedUses.includes(use)) return `does not allow ${use} addresses (allowedUses: ${p.spec.allowedUses.join(', ')})`;
    if (!matches(parseSelector(p.spec.nodeSelector), labels)) return `does not select node ${node.metadata.name} (nodeSelector: ${p.spec.nodeSelector})`;
    return null;
  };
  if (requested && requested.length > 0) {
    return requested.map((want) => {
      const p = v4.find((x) => x.name === want || formatCIDR(x.cidr) === want);
      if (!p) {
        const known = v4.map((x) => `${x.name} ${formatCIDR(x.cidr)}`).join(', ') || 'none';
        throw new TortieError('TORTIE_ERR_IPAM_NO_POOL', `IP pool ${want} does not exist (pools: ${known})`, { pool: want });
      }
      const reason = why(p);
      if (reason) throw new TortieError('TORTIE_ERR_IPAM_NO_POOL', `IP pool ${p.name} (${formatCIDR(p.cidr)}) ${reason}`, { pool: p.name });
      return p;
    });
  }
  const ok = v4.filter((p) => why(p) === null);
  if (ok.length === 0) {
    const reasons = v4.length === 0 ? 'there are no IPv4 pools' : v4.map((p) => `${p.name} ${why(p)}`).join('; ');
    throw new TortieError('TORTIE_ERR_IPAM_NO_POOL', `No IP pool can give node ${node.metadata.name} a ${use.toLowerCase()} address: ${reasons}`, { node: node.metadata.name });
  }
  return ok;
}
