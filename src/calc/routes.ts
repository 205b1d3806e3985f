// The node's routes (docs/architecture.md §3, the packet's journey): a /32 to each local pod's
// veth, a blackhole for each block the node owns, a route towards every other node's block by
// the encapsulation of its pool (VXLAN, IPIP, CrossSubnet or none), a /32 for each address
// borrowed from a block, and — with the BGP speaker — the routes it learned for the pools it owns.

import { cidrContainsIP, formatCIDR, formatIP, networkOf, parseCIDR, parseIP, type CIDR, type IP } from '../lib/ip.js';
import { VXLAN_DEVICE, type Route } from '../dataplane/ports.js';
import type { ClusterState } from './cluster-state.js';
import type { ClusterView, NodeInfo, Pool } from './cluster-view.js';

export const IPIP_DEVICE = 'tunl0';

/** What of the agent's context (CalcContext) the routes depend on. */
export interface RouteContext {
  readonly nodeName: string;
  readonly uplink: string;
  readonly ipipSupported: boolean;
  readonly programNoEncapRoutes: boolean;
}

/** The BGP speaker's table (BgpRoutesInput): used once converged, for the pools BGP owns. */
export interface LearnedRoutes {
  readonly converged: boolean;
  readonly routes: ReadonlyArray<{ readonly prefix: string; readonly nextHop: string }>;
}

export interface NodeRoutes {
  /** Sorted by destination. */
  readonly routes: Route[];
  /** The host-side veths of this node's workloads. */
  readonly localInterfaces: ReadonlySet<string>;
  readonly problems: readonly string[];
}

export function desiredRoutes(state: ClusterState, view: ClusterView, ctx: RouteContext, bgp?: LearnedRoutes): NodeRoutes {
  const problems: string[] = [];
  const { me, nodes } = view;
  const ipipWanted = view.pools.some((p) => p.spec.ipipMode !== 'Never' && !p.spec.disabled);
  if (ipipWanted && !ctx.ipipSupported) problems.push('IPIP unavailable: kernel lacks ipip (routes of IPIP pools to other nodes are not programmed)');

  const routes = new Map<string, Route>();
  const add = (r: Route): void => { routes.set(r.dst, r); };

  // Local workloads: a /32 to each pod's host-side veth.
  const localInterfaces = new Set<string>();
  for (const w of state.list('WorkloadEndpoint')) {
    if (w.spec['node'] !== ctx.nodeName) continue;
    const iface = String(w.spec['interfaceName'] ?? '');
    if (!iface) continue;
    localInterfaces.add(iface);
    for (const net of (w.spec['ipNetworks'] as string[] | undefined) ?? []) {
      const c = parseCIDR(net);
      if (c && c.version === 4) add({ dst: formatCIDR(c), type: 'unicast', dev: iface, scope: 'link' });
    }
  }

  /** The route that takes `dst` to node `to`, by the encapsulation of `pool`; null if it cannot be made. */
  const towards = (dst: string, to: NodeInfo, pool: Pool | undefined): Route | null => {
    if (!to.ip || !me?.cidr) return null;
    const owned = view.bgpOwns(pool);
    if (owned && bgp?.converged) return null; // learned over BGP instead (below)
    const same = cidrContainsIP(me.cidr, to.ip);
    const vx = pool?.spec.vxlanMode ?? 'Never';
    const ip = pool?.spec.ipipMode ?? 'Never';
    if (vx === 'Always' || (vx === 'CrossSubnet' && !same)) {
      if (!to.vxlanAddr) { problems.push(`Node ${to.name} has no VXLAN tunnel address yet: ${dst} waits for it`); return null; }
      return { dst, type: 'unicast', via: to.vxlanAddr, dev: VXLAN_DEVICE, onlink: true };
    }
    if (ip === 'Always' || (ip === 'CrossSubnet' && !same)) {
      return ctx.ipipSupported ? { dst, type: 'unicast', via: formatIP(to.ip), dev: IPIP_DEVICE, onlink: true } : null;
    }
    if (vx === 'CrossSubnet' || ip === 'CrossSubnet') return { dst, type: 'unicast', via: formatIP(to.ip), dev: ctx.uplink, onlink: true };
    if (!ctx.programNoEncapRoutes && !owned) return null;
    if (!same) {
      // Unencapsulated, the packet would leave through our gateway, which knows nothing of pods.
      problems.push(`Node ${to.name} (${formatIP(to.ip)}) is outside this node's subnet ${formatCIDR({ ...me.cidr, address: networkOf(me.cidr) })}: pool ${pool?.name ?? '?'} has no encapsulation, so ${dst} cannot be routed to it directly — use vxlanMode/ipipMode CrossSubnet or Always, or BGP peering with the router`);
      return null;
    }
    return { dst, type: 'unicast', via: formatIP(to.ip), dev: ctx.uplink };
  };

  for (const [cidrText, block] of state.blocks) {
    const c = parseCIDR(cidrText);
    if (!c || c.version !== 4) continue;
    const pool = view.poolOf(c);
    const owner = state.ownerOf(cidrText);
    if (owner === ctx.nodeName) {
      // Unused addresses of our blocks must not leak towards the default route.
      add({ dst: cidrText, type: 'blackhole' });
    } else if (owner !== null) {
      const to = nodes.get(owner);
      const r = to ? towards(cidrText, to, pool) : null;
      if (r) add(r);
    }
    // Borrowed addresses: held by a node other than the block's owner get their own /32.
    block.allocations.forEach((a, ord) => {
      if (a === null) return;
      const holder = block.attributes[a]?.secondary?.['node'];
      const type = block.attributes[a]?.secondary?.['type'];
      if (!holder || holder === owner || type?.endsWith('TunnelAddress')) return;
      const dst = `${formatIP({ version: 4, value: c.address + BigInt(ord) })}/32`;
      if (holder === ctx.nodeName) return; // our own pod: its WorkloadEndpoint route covers it
      const to = nodes.get(holder);
      const r = to ? towards(dst, to, pool) : null;
      if (r) add(r);
    });
  }

  /**
   * A learned route as the kernel should have it, by the pool its prefix is in (BIRD's
   * calico_kernel_programming): unencapsulated `via <next hop> dev <uplink>`, IPIP `via <next hop>
   * dev tunl0 onlink`, CrossSubnet by the next hop's subnet; null when BGP does not own the pool.
   */
  const learnedRoute = (l: { prefix: string; nextHop: string }, mine: CIDR, myIp: IP): Route | null => {
    const c = parseCIDR(l.prefix);
    const nh = parseIP(l.nextHop);
    if (!c || !nh || c.version !== 4 || nh.version !== 4) return null;
    const dst = formatCIDR(c);
    const pool = view.poolOf(c);
    if (!view.bgpOwns(pool)) return null;
    // Never a route that covers our own address (a default route, our own subnet): it would cut the node off.
    if (!pool && cidrContainsIP(c, myIp)) return null;
    if (nh.value === myIp.value) return null;
    const same = cidrContainsIP(mine, nh);
    const ipip = pool?.spec.ipipMode ?? 'Never';
    if (ipip === 'Always' || (ipip === 'CrossSubnet' && !same)) {
      if (!ctx.ipipSupported) return null; // reported once above (IPIP unavailable)
      return { dst, type: 'unicast', via: l.nextHop, dev: IPIP_DEVICE, onlink: true };
    }
    if (!same) {
      problems.push(`BGP route ${dst} has next hop ${l.nextHop}, which is not on this node's subnet ${formatCIDR({ ...mine, address: networkOf(mine) })}: not programmed`);
      return null;
    }
    return { dst, type: 'unicast', via: l.nextHop, dev: ctx.uplink };
  };

  if (bgp?.converged && me?.cidr && me.ip) {
    for (const l of bgp.routes) {
      const r = learnedRoute(l, me.cidr, me.ip);
      if (r && !routes.has(r.dst)) add(r);
    }
  }

  return {
    routes: [...routes.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0)),
    localInterfaces,
    problems,
  };
}
