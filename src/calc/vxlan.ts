// The node's VXLAN (docs/architecture.md §3): while any enabled pool uses VXLAN, this node's VTEP
// `vxlan.tortie`, and for every other node with a VTEP a permanent neighbour (its tunnel address
// → its VTEP MAC) and a permanent FDB entry (that MAC → its underlay address), as Felix's
// vxlan manager programs them.

import { formatIP } from '../lib/ip.js';
import { VXLAN_DEVICE, type FdbEntry, type Neighbour, type VxlanDevice } from '../dataplane/ports.js';
import type { ClusterView } from './cluster-view.js';
import { VXLAN_OVERHEAD } from './nat-mtu.js';

/** What of the agent's context (CalcContext) the VTEP depends on. */
export interface VxlanContext {
  readonly nodeName: string;
  readonly uplink: string;
  readonly hostMtu: number;
  readonly vxlanVni?: number;
  readonly vxlanPort?: number;
}

export interface NodeVxlan {
  readonly vxlan: { readonly device: VxlanDevice | null; readonly neighbours: Neighbour[]; readonly fdb: FdbEntry[] };
  readonly problems: readonly string[];
}

export function desiredVxlan(view: ClusterView, ctx: VxlanContext): NodeVxlan {
  const problems: string[] = [];
  const { me } = view;
  const vxlanWanted = view.pools.some((p) => p.spec.vxlanMode !== 'Never' && !p.spec.disabled);
  let device: VxlanDevice | null = null;
  const neighbours: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  if (vxlanWanted && me?.ip) {
    if (!me.vxlanAddr || !me.vxlanMac) {
      problems.push(`Node ${ctx.nodeName} has no VXLAN tunnel address yet: the VXLAN device waits for it`);
    } else {
      device = {
        name: VXLAN_DEVICE, vni: ctx.vxlanVni ?? 4096, port: ctx.vxlanPort ?? 4789, local: formatIP(me.ip),
        parent: ctx.uplink, mtu: ctx.hostMtu - VXLAN_OVERHEAD, mac: me.vxlanMac, address: `${me.vxlanAddr}/32`,
      };
      for (const n of [...view.nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        if (n.name === ctx.nodeName || !n.ip || !n.vxlanAddr || !n.vxlanMac) continue;
        neighbours.push({ dev: VXLAN_DEVICE, ip: n.vxlanAddr, mac: n.vxlanMac });
        fdb.push({ dev: VXLAN_DEVICE, mac: n.vxlanMac, dst: formatIP(n.ip) });
      }
    }
  }
  return { vxlan: { device, neighbours, fdb }, problems };
}
