// One packet through the whole path: egress policy of the source endpoint (on its host), then
// ingress policy of the destination endpoint (on its host). Either side may be a bare address —
// a host outside the cluster — which has no policy of its own.

import { formatIP, parseIP, type IP } from '../lib/ip.js';
import { AddressIndex } from './address-index.js';
import { evaluateDirection, type DirectionResult, type Verdict } from './evaluate.js';
import { ICMP, ICMPV6, type Packet } from './packet.js';
import { protocolLabel } from './parsed-rule.js';
import { addressOf, endpointAt, type Endpoint, type Snapshot } from './snapshot.js';

/** One end of a trace: a workload by "NS/POD", or an address. */
export type Peer = { readonly pod: string } | { readonly ip: string };

export interface ResolvedPeer {
  /** NS/POD, the HostEndpoint's name, or the address. */
  readonly name: string;
  readonly ip: IP;
  readonly endpoint?: Endpoint;
}

export type PeerProblem = { readonly problem: 'unknown-endpoint' | 'no-address' | 'bad-address'; readonly peer: string };

export function resolvePeer(snap: Snapshot, peer: Peer, version?: 4 | 6): ResolvedPeer | PeerProblem {
  if ('pod' in peer) {
    const ep = snap.byPod.get(peer.pod);
    if (ep === undefined) return { problem: 'unknown-endpoint', peer: peer.pod };
    const ip = addressOf(ep, version);
    if (ip === undefined) return { problem: 'no-address', peer: peer.pod };
    return { name: ep.display, ip, endpoint: ep };
  }
  const ip = parseIP(peer.ip);
  if (ip === null) return { problem: 'bad-address', peer: peer.ip };
  const ep = endpointAt(snap, ip);
  return ep === undefined ? { name: formatIP(ip), ip } : { name: ep.display, ip, endpoint: ep };
}

export interface TraceRequest {
  readonly protocol: number;
  readonly port?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

export type Side = DirectionResult | { readonly direction: 'egress' | 'ingress'; readonly skipped: string };

export interface TraceResult {
  readonly verdict: Verdict;
  readonly from: string;
  readonly to: string;
  readonly srcIP: string;
  readonly dstIP: string;
  readonly protocol: string;
  readonly port: number | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  readonly egress: Side;
  readonly ingress: Side;
  /** Set when the verdict needs no policy at all (a pod talking to itself). */
  readonly note?: string;
}

/** The evaluator's entry point for one packet; reuse one AddressIndex for many packets on one snapshot. */
export function tracePacket(snap: Snapshot, from: ResolvedPeer, to: ResolvedPeer, req: TraceRequest, idx = new AddressIndex(snap)): TraceResult {
  const isICMP = req.protocol === ICMP || req.protocol === ICMPV6;
  const packet: Packet = {
    src: from.ip, dst: to.ip, protocol: req.protocol,
    ...(!isICMP && req.port !== undefined ? { dstPort: req.port } : {}),
    ...(isICMP ? { icmpType: req.icmpType ?? (req.protocol === ICMP ? 8 : 128), icmpCode: req.icmpCode ?? 0 } : {}),
  };
  const head = {
    from: from.name, to: to.name, srcIP: formatIP(from.ip), dstIP: formatIP(to.ip), protocol: protocolLabel(req.protocol),
    port: isICMP ? null : req.port ?? null, icmpType: packet.icmpType ?? null, icmpCode: packet.icmpCode ?? null,
  };
  if (from.endpoint !== undefined && from.endpoint === to.endpoint) {
    const skipped = 'the packet never leaves the endpoint';
    return { ...head, verdict: 'allow', egress: { direction: 'egress', skipped }, ingress: { direction: 'ingress', skipped }, note: 'Source and destination are the same endpoint: traffic to itself is not policed.' };
  }
  const egress: Side = from.endpoint ? evaluateDirection(snap, idx, from.endpoint, 'egress', packet)
    : { direction: 'egress', skipped: `${from.name} is not an endpoint: no egress policy applies` };
  const ingress: Side = to.endpoint ? evaluateDirection(snap, idx, to.endpoint, 'ingress', packet)
    : { direction: 'ingress', skipped: `${to.name} is not an endpoint: no ingress policy applies` };
  const denied = ('verdict' in egress && egress.verdict === 'deny') || ('verdict' in ingress && ingress.verdict === 'deny');
  return { ...head, verdict: denied ? 'deny' : 'allow', egress, ingress };
}
