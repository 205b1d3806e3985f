// NAT outgoing (calico.md §6): traffic from a natOutgoing pool to anywhere outside all pools is
// masqueraded to the node's address — Felix's `--match-set masq-ipam-pools src ! --match-set
// all-ipam-pools dst -j MASQUERADE`, here as its own small table replaced atomically.

import { parseCIDR, type CIDR } from '../../lib/ip.js';
import { disjointCIDRs } from '../../policy/index.js';
import type { Nft } from '../ports.js';

export const NAT_TABLE = 'tortie-nat';

export interface NatDesired {
  /** CIDRs of pools with natOutgoing. */
  readonly masquerade: readonly string[];
  /** CIDRs of all pools (pod-to-pod traffic keeps its source). */
  readonly pools: readonly string[];
}

function set(name: string, cidrs: readonly string[]): string {
  const elements = disjointCIDRs(cidrs.map((c) => parseCIDR(c)).filter((c): c is CIDR => c !== null && c.version === 4));
  return `  set ${name} {\n    type ipv4_addr; flags interval;\n${elements.length > 0 ? `    elements = { ${elements.join(', ')} }\n` : ''}  }\n`;
}

export function renderNat(d: NatDesired, table = NAT_TABLE): string {
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    set('masq-pools', d.masquerade) + set('all-pools', d.pools).replace(/\n$/, ''),
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    '    ip saddr @masq-pools ip daddr != @all-pools masquerade comment "tortie: natOutgoing pools"',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Keeps the NAT table equal to the desired pools; writes only when they change (or after `forget`). */
export class NatProgrammer {
  private last: string | null = null;

  constructor(private readonly nft: Nft, private readonly table = NAT_TABLE) {}

  async sync(d: NatDesired): Promise<boolean> {
    const text = renderNat(d, this.table);
    if (text === this.last) return false;
    await this.nft.apply(text);
    this.last = text;
    return true;
  }

  /** The next sync rewrites the table (after a resync found it changed behind our back). */
  forget(): void { this.last = null; }
}
