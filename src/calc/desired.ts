// The calculation: cluster state in, the node's desired dataplane out (DESIGN.md, the packet's
// journey). Pure and computed from the whole state, so the result cannot depend on the order in
// which updates arrived.
//
//   local WorkloadEndpoints ──▶ /32 dev cali… scope link          ┐
//   own affine blocks       ──▶ blackhole <block>                 │
//   other nodes' blocks     ──▶ via VTEP dev vxlan.tortie onlink  ├─▶ routes
//                               via node dev tunl0 onlink (IPIP)  │
//                               via node dev <uplink> (no encap)  │
//   borrowed addresses      ──▶ /32 towards the borrowing node    ┘
//   other nodes' VTEPs      ──▶ neighbour + FDB entries on vxlan.tortie
//   policies + local endpoints ──compile──▶ nft Ruleset (denials: FelixConfiguration's deny action)
//   natOutgoing pools       ──▶ masquerade set

import type { ClusterRouteMode } from '../model/index.js';
import type { DataplaneTarget } from '../dataplane/ports.js';
import type { ClusterState } from './cluster-state.js';
import { clusterView } from './cluster-view.js';
import { desiredNat, podMtu } from './nat-mtu.js';
import { desiredPolicy } from './policy-ruleset.js';
import { desiredRoutes } from './routes.js';
import { desiredVxlan } from './vxlan.js';

export { derivedVxlanMac } from './cluster-view.js';
export { IPIP_DEVICE } from './routes.js';
export { VXLAN_OVERHEAD, IPIP_OVERHEAD } from './nat-mtu.js';

export interface CalcContext {
  readonly nodeName: string;
  /** The underlay interface the node's address is on (VXLAN's parent, the no-encap route's device). */
  readonly uplink: string;
  /** The smallest MTU of the host's uplinks. */
  readonly hostMtu: number;
  readonly ipipSupported: boolean;
  /** Program routes to other nodes' blocks in pools without encapsulation (until BGP does it). */
  readonly programNoEncapRoutes: boolean;
  readonly vxlanVni?: number;
  readonly vxlanPort?: number;
  readonly interfacePrefix?: string;
}

/**
 * Routes learned by the BGP speaker (`tortie agent --bgp`). The pools BGP owns
 * (programClusterRoutes: no-encap by default, IPIP when Enabled) are then programmed from these
 * instead of from the datastore; VXLAN pools never are (calico.md §7, ownership matrix).
 */
export interface BgpRoutesInput {
  /** False until the speaker's first complete table after start (graceful restart): the datastore stands in meanwhile. */
  readonly converged: boolean;
  readonly routes: ReadonlyArray<{ readonly prefix: string; readonly nextHop: string }>;
  readonly programClusterRoutes: ClusterRouteMode;
}

/** The dataplane's target (src/dataplane/ports.ts), and what of it could not be done. */
export interface DesiredDataplane extends DataplaneTarget {
  /** What could not be programmed, in words for `tortie node status`. */
  readonly problems: readonly string[];
}

/**
 * The diagram above, one concern per file: the cluster view it works from (cluster-view.ts), the
 * routes (routes.ts), VXLAN (vxlan.ts), NAT outgoing and the pod MTU (nat-mtu.ts), and the policy
 * (policy-ruleset.ts). Problems come in that order, each once.
 */
export function computeDesired(state: ClusterState, ctx: CalcContext, bgp?: BgpRoutesInput): DesiredDataplane {
  const view = clusterView(state, ctx.nodeName, bgp?.programClusterRoutes);
  const routes = desiredRoutes(state, view, ctx, bgp);
  const vxlan = desiredVxlan(view, ctx);
  return {
    routes: routes.routes,
    vxlan: vxlan.vxlan,
    workloadInterfaces: [...routes.localInterfaces].sort(),
    policy: desiredPolicy(state, ctx.nodeName, routes.localInterfaces, ctx.interfacePrefix ?? 'cali'),
    nat: desiredNat(view.pools),
    podMtu: podMtu(view.pools, ctx.hostMtu),
    problems: [...new Set([...view.problems, ...routes.problems, ...vxlan.problems])],
  };
}
