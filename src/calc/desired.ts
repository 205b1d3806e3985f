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

import { createHash } from 'node:crypto';
import { cidrContainsIP, formatCIDR, networkOf, parseCIDR, parseIP, type CIDR, type IP } from '../lib/ip.js';
import type { ClusterRouteMode, IPPoolSpec, Resource } from '../model/index.js';
import { buildSnapshot, compile } from '../policy/index.js';
import { VXLAN_DEVICE, type DataplaneTarget, type FdbEntry, type Neighbour, type Route, type VxlanDevice } from '../dataplane/ports.js';
import type { ClusterState } from './cluster-state.js';
import { denyAction } from './felix-config.js';

export const IPIP_DEVICE = 'tunl0';
/** Encapsulation overheads (calico.md §6): VXLAN over IPv4 50 bytes, IPIP 20. */
export const VXLAN_OVERHEAD = 50;
export const IPIP_OVERHEAD = 20;

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

interface NodeInfo {
  readonly name: string;
  readonly ip: IP | null;
  /** The address with its mask (`10.0.0.5/24`): the subnet that decides CrossSubnet. */
  readonly cidr: CIDR | null;
  readonly vxlanAddr: string | null;
  readonly vxlanMac: string | null;
}

/** Felix's VTEP MAC when the Node has none: 0x66 ('f') then the first 5 bytes of sha1(node name). */
export function derivedVxlanMac(node: string): string {
  const h = createHash('sha1').update(node).digest();
  return ['66', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function nodeInfo(r: Resource): NodeInfo {
  const bgp = (r.spec['bgp'] ?? {}) as Record<string, unknown>;
  const cidr = typeof bgp['ipv4Address'] === 'string' ? parseCIDR(bgp['ipv4Address']) : null;
  const vxlanAddr = typeof r.spec['ipv4VXLANTunnelAddr'] === 'string' ? r.spec['ipv4VXLANTunnelAddr'] : null;
  return {
    name: r.metadata.name,
    cidr,
    ip: cidr ? { version: cidr.version, value: cidr.address } : null,
    vxlanAddr,
    vxlanMac: typeof r.spec['vxlanTunnelMACAddr'] === 'string' ? r.spec['vxlanTunnelMACAddr'] : vxlanAddr ? derivedVxlanMac(r.metadata.name) : null,
  };
}

const ipText = (ip: IP): string => formatCIDR({ version: ip.version, address: ip.value, prefix: ip.version === 4 ? 32 : 128 }).split('/')[0]!;

interface Pool { readonly name: string; readonly cidr: CIDR; readonly spec: IPPoolSpec }

function poolsOf(state: ClusterState): Pool[] {
  return state.list('IPPool').flatMap((r) => {
    const cidr = parseCIDR(String(r.spec['cidr']));
    return cidr ? [{ name: r.metadata.name, cidr, spec: r.spec as unknown as IPPoolSpec }] : [];
  }).sort((a, b) => b.cidr.prefix - a.cidr.prefix); // most specific first
}

export function computeDesired(state: ClusterState, ctx: CalcContext, bgp?: BgpRoutesInput): DesiredDataplane {
  const problems: string[] = [];
  const prefix = ctx.interfacePrefix ?? 'cali';
  const nodes = new Map(state.list('Node').map((r) => [r.metadata.name, nodeInfo(r)] as const));
  const me = nodes.get(ctx.nodeName);
  if (!me?.cidr) problems.push(`Node ${ctx.nodeName} has no bgp.ipv4Address yet: routes to other nodes wait for it`);
  const pools = poolsOf(state);
  const poolOf = (c: CIDR): Pool | undefined => pools.find((p) => cidrContainsIP(p.cidr, { version: c.version, value: c.address }));
  const vxlanWanted = pools.some((p) => p.spec.vxlanMode !== 'Never' && !p.spec.disabled);
  const ipipWanted = pools.some((p) => p.spec.ipipMode !== 'Never' && !p.spec.disabled);
  if (ipipWanted && !ctx.ipipSupported) problems.push('IPIP unavailable: kernel lacks ipip (routes of IPIP pools to other nodes are not programmed)');

  /** Whether the BGP speaker programs this pool's routes (blocks outside every pool count as unencapsulated). */
  const bgpOwns = (pool: Pool | undefined): boolean => {
    if (!bgp || (pool && pool.spec.vxlanMode !== 'Never')) return false;
    const m = bgp.programClusterRoutes;
    return pool && pool.spec.ipipMode !== 'Never' ? m === 'Enabled' || m === 'EnabledIPIPOnly' : m === 'Enabled' || m === 'EnabledNoEncapOnly';
  };

  const routes = new Map<string, Route>();
  const add = (r: Route): void => { routes.set(r.dst, r); };

  // Local workloads: a /32 to each pod's host-side veth.
  const weps = state.list('WorkloadEndpoint');
  const localIfaces = new Set<string>();
  for (const w of weps) {
    if (w.spec['node'] !== ctx.nodeName) continue;
    const iface = String(w.spec['interfaceName'] ?? '');
    if (!iface) continue;
    localIfaces.add(iface);
    for (const net of (w.spec['ipNetworks'] as string[] | undefined) ?? []) {
      const c = parseCIDR(net);
      if (c && c.version === 4) add({ dst: formatCIDR(c), type: 'unicast', dev: iface, scope: 'link' });
    }
  }

  /** The route that takes `dst` to node `to`, by the encapsulation of `pool`; null if it cannot be made. */
  const towards = (dst: string, to: NodeInfo, pool: Pool | undefined): Route | null => {
    if (!to.ip || !me?.cidr) return null;
    const owned = bgpOwns(pool);
    if (owned && bgp!.converged) return null; // learned over BGP instead (below)
    const same = cidrContainsIP(me.cidr, to.ip);
    const vx = pool?.spec.vxlanMode ?? 'Never';
    const ip = pool?.spec.ipipMode ?? 'Never';
    if (vx === 'Always' || (vx === 'CrossSubnet' && !same)) {
      if (!to.vxlanAddr) { problems.push(`Node ${to.name} has no VXLAN tunnel address yet: ${dst} waits for it`); return null; }
      return { dst, type: 'unicast', via: to.vxlanAddr, dev: VXLAN_DEVICE, onlink: true };
    }
    if (ip === 'Always' || (ip === 'CrossSubnet' && !same)) {
      return ctx.ipipSupported ? { dst, type: 'unicast', via: ipText(to.ip), dev: IPIP_DEVICE, onlink: true } : null;
    }
    if (vx === 'CrossSubnet' || ip === 'CrossSubnet') return { dst, type: 'unicast', via: ipText(to.ip), dev: ctx.uplink, onlink: true };
    if (!ctx.programNoEncapRoutes && !owned) return null;
    if (!same) {
      // Unencapsulated, the packet would leave through our gateway, which knows nothing of pods.
      problems.push(`Node ${to.name} (${ipText(to.ip)}) is outside this node's subnet ${formatCIDR({ ...me.cidr, address: networkOf(me.cidr) })}: pool ${pool?.name ?? '?'} has no encapsulation, so ${dst} cannot be routed to it directly — use vxlanMode/ipipMode CrossSubnet or Always, or BGP peering with the router`);
      return null;
    }
    return { dst, type: 'unicast', via: ipText(to.ip), dev: ctx.uplink };
  };

  for (const [cidrText, block] of state.blocks) {
    const c = parseCIDR(cidrText);
    if (!c || c.version !== 4) continue;
    const pool = poolOf(c);
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
      const dst = `${ipText({ version: 4, value: c.address + BigInt(ord) })}/32`;
      if (holder === ctx.nodeName) return; // our own pod: its WorkloadEndpoint route covers it
      const to = nodes.get(holder);
      const r = to ? towards(dst, to, pool) : null;
      if (r) add(r);
    });
  }

  if (bgp?.converged && me?.cidr && me.ip) {
    for (const l of bgp.routes) {
      const r = learnedRoute(l, me.cidr, me.ip);
      if (r && !routes.has(r.dst)) add(r);
    }
  }

  // VXLAN: our VTEP, and one neighbour + FDB entry per other node's VTEP.
  let device: VxlanDevice | null = null;
  const neighbours: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  if (vxlanWanted && me?.ip) {
    if (!me.vxlanAddr || !me.vxlanMac) {
      problems.push(`Node ${ctx.nodeName} has no VXLAN tunnel address yet: the VXLAN device waits for it`);
    } else {
      device = {
        name: VXLAN_DEVICE, vni: ctx.vxlanVni ?? 4096, port: ctx.vxlanPort ?? 4789, local: ipText(me.ip),
        parent: ctx.uplink, mtu: ctx.hostMtu - VXLAN_OVERHEAD, mac: me.vxlanMac, address: `${me.vxlanAddr}/32`,
      };
      for (const n of [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        if (n.name === ctx.nodeName || !n.ip || !n.vxlanAddr || !n.vxlanMac) continue;
        neighbours.push({ dev: VXLAN_DEVICE, ip: n.vxlanAddr, mac: n.vxlanMac });
        fdb.push({ dev: VXLAN_DEVICE, mac: n.vxlanMac, dst: ipText(n.ip) });
      }
    }
  }

  const policy = compile(buildSnapshot({
    workloadEndpoints: weps, hostEndpoints: state.list('HostEndpoint'), profiles: state.list('Profile'), tiers: state.list('Tier'),
    networkPolicies: state.list('NetworkPolicy'), globalNetworkPolicies: state.list('GlobalNetworkPolicy'),
    networkSets: state.list('NetworkSet'), globalNetworkSets: state.list('GlobalNetworkSet'),
  }), {
    isLocal: (e) => e.kind === 'WorkloadEndpoint' && localIfaces.has(e.interfaceName ?? ''), interfacePrefix: prefix,
    denyAction: denyAction(state, ctx.nodeName),
  });

  /**
   * A learned route as the kernel should have it, by the pool its prefix is in (BIRD's
   * calico_kernel_programming): unencapsulated `via <next hop> dev <uplink>`, IPIP `via <next hop>
   * dev tunl0 onlink`, CrossSubnet by the next hop's subnet; null when BGP does not own the pool.
   */
  function learnedRoute(l: { prefix: string; nextHop: string }, mine: CIDR, myIp: IP): Route | null {
    const c = parseCIDR(l.prefix);
    const nh = parseIP(l.nextHop);
    if (!c || !nh || c.version !== 4 || nh.version !== 4) return null;
    const dst = formatCIDR(c);
    const pool = poolOf(c);
    if (pool ? !bgpOwns(pool) : !bgpOwns(undefined)) return null;
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
  }

  const enabled = pools.filter((p) => !p.spec.disabled);
  const encap = enabled.some((p) => p.spec.vxlanMode !== 'Never') ? VXLAN_OVERHEAD : enabled.some((p) => p.spec.ipipMode !== 'Never') ? IPIP_OVERHEAD : 0;
  return {
    routes: [...routes.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0)),
    vxlan: { device, neighbours, fdb },
    workloadInterfaces: [...localIfaces].sort(),
    policy,
    nat: {
      masquerade: enabled.filter((p) => p.spec.natOutgoing).map((p) => formatCIDR(p.cidr)).sort(),
      pools: pools.map((p) => formatCIDR(p.cidr)).sort(),
    },
    podMtu: ctx.hostMtu - encap,
    problems: [...new Set(problems)],
  };
}

