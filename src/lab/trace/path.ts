// A packet's journey, hop by hop, from the live kernels it crosses: the pod's route to
// 169.254.1.1 and the proxy ARP that answers it, each host's forwarding decision (`ip route get`)
// and the table entry behind it, VXLAN/IPIP encapsulation with its outer addresses, the underlay
// router, the receiving node's route and veth — and, where the agent's nftables sit, the policy
// verdict with the rule that decided and that rule's packet counter.
//
// The walk reads only the namespaces it is given (every node of a lab; on a real node, just
// that node) and says plainly where it cannot follow the packet any further.

import {
  locateDecision, type DirectionResult, type Endpoint, type ResolvedPeer, type Side, type Snapshot, type TraceResult,
} from '../../policy/index.js';
import type { LinkInfo } from '../../dataplane/index.js';
import type { KernelRoute, KernelView } from './kernel.js';
import { longestMatch, routeText } from './routes.js';

/** A namespace the trace may read: a node (its agent's host) or an underlay router. */
export interface TraceBox { readonly name: string; readonly kind: 'node' | 'router'; readonly netns: string | null }

export interface TraceWorld {
  readonly snap: Snapshot;
  readonly kernel: KernelView;
  readonly boxes: readonly TraceBox[];
  /** Every node's underlay address (from its Node resource), also the nodes the trace cannot read. */
  readonly nodeAddresses: ReadonlyMap<string, string>;
}

export interface Encapsulation {
  readonly type: 'vxlan' | 'ipip';
  readonly device: string;
  readonly vni?: number;
  readonly port?: number;
  /** The inner next hop (the remote VTEP's address) and the MAC the neighbour table gives it. */
  readonly innerNextHop?: string;
  readonly mac?: string;
  readonly outerSrc: string;
  readonly outerDst: string;
}

export interface PolicyCheck {
  readonly direction: 'egress' | 'ingress';
  readonly endpoint: string;
  readonly verdict: 'allow' | 'deny';
  /** The evaluator's decisive step, in words. */
  readonly decidedBy: string;
  /** The nftables rule that carries it on this node, with its counter (new flows only: conntrack lets the rest through). */
  readonly nft: { readonly chain: string; readonly rule: string; readonly packets: number; readonly bytes: number } | { readonly chain: string | null; readonly missing: string };
}

export interface Hop {
  readonly at: string;
  readonly kind: 'pod' | 'node' | 'router';
  readonly netns: string | null;
  /** The interface the packet arrives on (absent where it starts). */
  in?: string;
  /** Decapsulated here, by this device. */
  decap?: string;
  /** The routing table entry that matched, as `ip route` prints it. */
  route?: string;
  out?: string;
  nextHop?: string;
  encap?: Encapsulation;
  /** The route that carries the outer (encapsulated) packet. */
  underlay?: string;
  policy?: PolicyCheck[];
  notes: string[];
}

export interface PathTrace {
  readonly hops: Hop[];
  readonly outcome: 'delivered' | 'dropped' | 'left';
  readonly reason: string;
}

const POD_GATEWAY = '169.254.1.1';
const MAX_HOPS = 12;

function decidedBy(r: DirectionResult): string {
  const d = r.decision;
  switch (d.by) {
    case 'policy-rule': return `${d.policy} (tier ${d.tier}), rule ${d.rule}: ${d.action}`;
    case 'profile-rule': return `profile ${d.profile}, rule ${d.rule}: ${d.action}`;
    case 'end-of-tier': return `end of tier ${d.tier} (a policy selects the endpoint, none allowed the packet)`;
    case 'missing-profile': return `profile ${d.profile} does not exist (deny all)`;
    case 'no-profile-decided': return d.profiles.length ? `no policy decided, no rule of profile ${d.profiles.join(', ')} matched` : 'no policy decided and the endpoint has no profile';
  }
}

export async function tracePath(w: TraceWorld, from: ResolvedPeer, to: ResolvedPeer, policy: TraceResult): Promise<PathTrace> {
  const k = w.kernel;
  const hops: Hop[] = [];
  const addrCache = new Map<TraceBox, ReadonlyMap<string, readonly string[]>>();
  const addressesOf = async (b: TraceBox): Promise<ReadonlyMap<string, readonly string[]>> => {
    if (!addrCache.has(b)) addrCache.set(b, await k.addresses(b.netns));
    return addrCache.get(b)!;
  };
  /** The box holding an address, and the interface it is on. */
  const owner = async (ip: string): Promise<{ box: TraceBox; iface: string } | null> => {
    for (const box of w.boxes) for (const [iface, ips] of await addressesOf(box)) if (iface !== 'lo' && ips.includes(ip)) return { box, iface };
    return null;
  };
  const nodeNamed = (ip: string): string | undefined => [...w.nodeAddresses].find(([, a]) => a === ip)?.[0];
  const end = (outcome: PathTrace['outcome'], reason: string): PathTrace => ({ hops, outcome, reason });
  const src = policy.srcIP;
  const dst = policy.dstIP;

  const podNetns = async (box: TraceBox, iface: string): Promise<string | null> => {
    const id = (await k.link(box.netns, iface))?.linkNetnsId;
    return id === undefined ? null : (await k.namespaceIds(box.netns)).get(id) ?? null;
  };
  const check = async (box: TraceBox, ep: Endpoint, side: Side): Promise<PolicyCheck | null> => {
    if (!('verdict' in side)) return null;
    const loc = locateDecision(w.snap, ep, side);
    let nft: PolicyCheck['nft'];
    if (loc === null) nft = { chain: null, missing: 'no compiled rule corresponds to this decision' };
    else {
      const rules = await k.nftCounters(box.netns, loc.chain);
      const hit = rules?.filter((r) => r.comment.startsWith(loc.commentPrefix)) ?? [];
      nft = rules === null ? { chain: loc.chain, missing: `chain ${loc.chain} is not in table inet tortie on ${box.name}` }
        : hit.length === 0 ? { chain: loc.chain, missing: `no rule "${loc.commentPrefix.trim()}…" in chain ${loc.chain} on ${box.name}` }
        : { chain: loc.chain, rule: hit[0]!.comment, packets: hit.reduce((n, r) => n + r.packets, 0), bytes: hit.reduce((n, r) => n + r.bytes, 0) };
    }
    return { direction: side.direction, endpoint: side.endpoint, verdict: side.verdict, decidedBy: decidedBy(side), nft };
  };

  // Where the packet starts: in a pod (its own route, then the host veth), or on a node.
  let box: TraceBox;
  /** The interface the kernel sees the packet come in on (after decapsulation, the tunnel device) … */
  let iif: string | undefined;
  /** … and the one it physically arrived on. */
  let arrivedOn: string | undefined;
  const srcEp = from.endpoint?.kind === 'WorkloadEndpoint' ? from.endpoint : undefined;
  if (srcEp) {
    const b = w.boxes.find((x) => x.kind === 'node' && x.name === srcEp.node);
    if (!b) return end('left', `${from.name} runs on ${srcEp.node ?? 'an unknown node'}, which this trace cannot read: run tortie trace there`);
    const iface = srcEp.interfaceName ?? '';
    const ns = await podNetns(b, iface);
    const hop: Hop = { at: from.name, kind: 'pod', netns: ns, notes: [] };
    hops.push(hop);
    if (ns === null) hop.notes.push(`the pod's namespace is not visible from ${b.name} (no veth ${iface} with a peer namespace)`);
    else {
      const got = await k.routeGet(ns, dst);
      const matched = longestMatch(await k.routes(ns), dst);
      if (matched) hop.route = routeText(matched);
      if (!got.ok) return end('dropped', `${from.name} has no route to ${dst}: ${got.error}`);
      hop.out = got.route.dev ?? '';
      if (got.route.gateway) hop.nextHop = got.route.gateway;
      if (got.route.gateway === POD_GATEWAY) {
        const proxy = await k.sysctl(b.netns, `net/ipv4/conf/${iface}/proxy_arp`);
        const mac = (await k.link(b.netns, iface))?.mac;
        if (proxy !== '1') return end('dropped', `nothing answers ARP for ${POD_GATEWAY}: proxy_arp is ${proxy ?? 'absent'} on ${b.name}'s ${iface}`);
        hop.notes.push(`${POD_GATEWAY} is answered by proxy ARP on ${b.name}'s ${iface} (proxy_arp=1${mac ? `, MAC ${mac}` : ''})`);
      }
    }
    box = b;
    iif = iface;
    arrivedOn = iface;
  } else {
    const o = await owner(src);
    if (!o || o.box.kind !== 'node') return end('left', `${from.name} is neither a pod nor a node this trace can read: a trace starts at one of them`);
    box = o.box;
  }

  // Node to node until the packet is delivered, dropped, or leaves what this trace can see.
  let tunnel: Encapsulation | null = null;
  let decapBy: string | undefined;
  const seen = new Set<string>();
  for (let n = 0; n < MAX_HOPS; n++) {
    const t: Encapsulation | null = tunnel;
    const inner: boolean = t === null;
    const hdr: { src: string; dst: string } = t === null ? { src, dst } : { src: t.outerSrc, dst: t.outerDst };
    const hop: Hop = { at: box.name, kind: box.kind, netns: box.netns, ...(arrivedOn ? { in: arrivedOn } : {}), ...(decapBy ? { decap: decapBy } : {}), notes: [] };
    hops.push(hop);
    const key = `${box.name} ${iif ?? ''} ${hdr.dst}`;
    if (seen.has(key)) return end('dropped', `routing loop: the packet is back on ${box.name} (${iif ?? 'local'}) towards ${hdr.dst}`);
    seen.add(key);
    decapBy = undefined;
    if (srcEp && box.name === srcEp.node && iif === srcEp.interfaceName) {
      const c = await check(box, srcEp, policy.egress);
      if (c) hop.policy = [c];
    }

    const got = await k.routeGet(box.netns, hdr.dst, iif ? { from: hdr.src, iif } : {});
    const matched = longestMatch(await k.routes(box.netns), hdr.dst);
    if (!got.ok) {
      if (matched) hop.route = routeText(matched);
      const t = matched?.type;
      if (t === 'blackhole' || t === 'unreachable' || t === 'prohibit') {
        return end('dropped', `${box.name} drops it: ${t} route ${matched!.dst}${t === 'blackhole' && box.kind === 'node' ? ` (${box.name}'s own block, and no pod there has ${hdr.dst})` : ''}`);
      }
      return end('dropped', `${box.name} cannot forward it to ${hdr.dst}: ${got.error}`);
    }
    const r: KernelRoute = got.route;
    if (r.type === 'local') { hop.route = `local ${hdr.dst} (an address of ${box.name})`; return end('delivered', `delivered to ${box.name} itself`); }
    hop.route = matched && (matched.dev === r.dev || matched.type === 'blackhole') ? routeText(matched) : routeText(r);
    hop.out = r.dev ?? '';
    if (hop.policy?.some((p) => p.verdict === 'deny')) return end('dropped', `dropped on ${box.name} by ${policy.from}'s egress policy: ${hop.policy.find((p) => p.verdict === 'deny')!.decidedBy}`);

    // Out to a pod of this node?
    const dstEp = to.endpoint?.kind === 'WorkloadEndpoint' && to.endpoint.node === box.name && to.endpoint.interfaceName === r.dev ? to.endpoint : undefined;
    if (inner && dstEp) {
      const c = await check(box, dstEp, policy.ingress);
      if (c) (hop.policy ??= []).push(c);
      if (c?.verdict === 'deny') return end('dropped', `dropped on ${box.name} by ${to.name}'s ingress policy: ${c.decidedBy}`);
      const ns = await podNetns(box, r.dev!);
      hops.push({ at: to.name, kind: 'pod', netns: ns, in: 'eth0', notes: ns ? [] : [`the pod's namespace is not visible from ${box.name}`] });
      return end('delivered', `delivered to ${to.name} through ${box.name}'s ${r.dev}`);
    }

    // Encapsulated towards another node?
    let next: string;
    const link: LinkInfo | null = inner && r.dev ? await k.link(box.netns, r.dev) : null;
    if (link?.kind === 'vxlan' && link.vxlan) {
      const via: string = r.gateway ?? hdr.dst;
      const mac = (await k.neighbours(box.netns, r.dev!)).find((x) => x.ip === via)?.mac;
      if (!mac) return end('dropped', `${box.name} has no neighbour entry for ${via} on ${r.dev}: the remote VTEP is unknown`);
      const outerDst: string | undefined = (await k.fdb(box.netns, r.dev!)).find((x) => x.mac === mac)?.dst;
      if (!outerDst) return end('dropped', `${box.name} has no FDB entry for ${mac} on ${r.dev}: nowhere to send the VXLAN packet`);
      tunnel = { type: 'vxlan', device: r.dev!, vni: link.vxlan.vni, port: link.vxlan.port, innerNextHop: via, mac, outerSrc: link.vxlan.local ?? src, outerDst };
    } else if (link?.kind === 'ipip') {
      const outerDst: string = r.gateway ?? hdr.dst;
      const outerSrc = await k.routeGet(box.netns, outerDst);
      tunnel = { type: 'ipip', device: r.dev!, outerSrc: outerSrc.ok ? outerSrc.route.prefsrc ?? src : src, outerDst };
    }
    if (inner && tunnel) {
      hop.encap = tunnel;
      const under = await k.routeGet(box.netns, tunnel.outerDst);
      if (!under.ok) return end('dropped', `${box.name} has no route to the tunnel's far end ${tunnel.outerDst}: ${under.error}`);
      const um = longestMatch(await k.routes(box.netns), tunnel.outerDst);
      hop.underlay = um && um.dev === under.route.dev ? routeText(um) : routeText(under.route);
      hop.out = under.route.dev ?? '';
      next = under.route.gateway ?? tunnel.outerDst;
    } else {
      next = r.gateway ?? hdr.dst;
    }
    hop.nextHop = next;

    const o = await owner(next);
    if (!o) {
      const node = nodeNamed(next);
      return end('left', node ? `continues on ${node} (${next}), which this trace cannot read: run tortie trace there`
        : `leaves ${box.name} by ${hop.out} towards ${next}, outside what this trace can see`);
    }
    box = o.box;
    iif = o.iface;
    arrivedOn = o.iface;
    if (tunnel && next === tunnel.outerDst) {
      // The far end of the tunnel: the node decapsulates, and routes the inner packet.
      decapBy = tunnel.type === 'vxlan' ? tunnel.device : 'tunl0';
      iif = decapBy;
      tunnel = null;
    }
  }
  return end('dropped', `more than ${MAX_HOPS} hops: giving up`);
}
