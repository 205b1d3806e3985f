// The cluster as the calculation works from it: every node with its underlay address (whose
// mask decides CrossSubnet) and its VTEP, the IP pools most specific first with the pool an
// address falls in, and which pools' routes the BGP speaker programs instead of the datastore
// (calico.md §7, ownership matrix: never VXLAN pools; no-encap and IPIP by programClusterRoutes).

import { createHash } from 'node:crypto';
import { cidrContainsIP, parseCIDR, type CIDR, type IP } from '../lib/ip.js';
import type { ClusterRouteMode, IPPoolSpec, Resource } from '../model/index.js';
import type { ClusterState } from './cluster-state.js';

export interface NodeInfo {
  readonly name: string;
  readonly ip: IP | null;
  /** The address with its mask (`10.0.0.5/24`): the subnet that decides CrossSubnet. */
  readonly cidr: CIDR | null;
  readonly vxlanAddr: string | null;
  readonly vxlanMac: string | null;
}

export interface Pool { readonly name: string; readonly cidr: CIDR; readonly spec: IPPoolSpec }

export interface ClusterView {
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** This node; routes to other nodes need its address (and mask). */
  readonly me: NodeInfo | undefined;
  /** Most specific first, so the first pool holding an address is the one it belongs to. */
  readonly pools: readonly Pool[];
  poolOf(c: CIDR): Pool | undefined;
  /** Whether the BGP speaker programs this pool's routes (blocks outside every pool count as unencapsulated). */
  bgpOwns(pool: Pool | undefined): boolean;
  readonly problems: readonly string[];
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

function poolsOf(state: ClusterState): Pool[] {
  return state.list('IPPool').flatMap((r) => {
    const cidr = parseCIDR(String(r.spec['cidr']));
    return cidr ? [{ name: r.metadata.name, cidr, spec: r.spec as unknown as IPPoolSpec }] : [];
  }).sort((a, b) => b.cidr.prefix - a.cidr.prefix); // most specific first
}

/** `bgpMode`: the speaker's programClusterRoutes when it runs (`tortie agent --bgp`), else undefined. */
export function clusterView(state: ClusterState, nodeName: string, bgpMode?: ClusterRouteMode): ClusterView {
  const problems: string[] = [];
  const nodes = new Map(state.list('Node').map((r) => [r.metadata.name, nodeInfo(r)] as const));
  const me = nodes.get(nodeName);
  if (!me?.cidr) problems.push(`Node ${nodeName} has no bgp.ipv4Address yet: routes to other nodes wait for it`);
  const pools = poolsOf(state);
  return {
    nodes, me, pools, problems,
    poolOf: (c) => pools.find((p) => cidrContainsIP(p.cidr, { version: c.version, value: c.address })),
    bgpOwns: (pool) => {
      if (bgpMode === undefined || (pool && pool.spec.vxlanMode !== 'Never')) return false;
      const m = bgpMode;
      return pool && pool.spec.ipipMode !== 'Never' ? m === 'Enabled' || m === 'EnabledIPIPOnly' : m === 'Enabled' || m === 'EnabledNoEncapOnly';
    },
  };
}
