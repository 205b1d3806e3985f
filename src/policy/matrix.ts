// The reachability matrix: every ordered pair of peers, for every protocol and port asked for.
// One AddressIndex is shared by all packets, so each selector is matched against each address once.

import { AddressIndex } from './address-index.js';
import type { Verdict } from './evaluate.js';
import { ICMP, ICMPV6 } from './packet.js';
import { resolvePeer, tracePacket, type Peer, type ResolvedPeer } from './trace.js';
import type { Snapshot } from './snapshot.js';

export interface MatrixRequest {
  /** Namespaces whose workload endpoints take part; all when empty. */
  readonly namespaces: readonly string[];
  /** Protocol numbers; ICMP/ICMPv6 rows are echo requests without a port. */
  readonly protocols: readonly number[];
  readonly ports: readonly number[];
  /** External addresses, added on both sides. */
  readonly ips: readonly string[];
}

export interface MatrixRow {
  readonly from: string;
  readonly to: string;
  readonly protocol: number;
  readonly port: number | null;
  readonly verdict: Verdict;
}

export interface Matrix {
  readonly peers: readonly string[];
  readonly rows: readonly MatrixRow[];
}

export function matrixPeers(snap: Snapshot, namespaces: readonly string[], ips: readonly string[]): Peer[] {
  const pods = [...snap.byPod.values()]
    .filter((e) => namespaces.length === 0 || namespaces.includes(e.namespace ?? ''))
    .map((e) => e.display).sort();
  return [...pods.map((pod) => ({ pod })), ...ips.map((ip) => ({ ip }))];
}

export function computeMatrix(snap: Snapshot, req: MatrixRequest): Matrix {
  const idx = new AddressIndex(snap);
  const peers = matrixPeers(snap, req.namespaces, req.ips);
  const resolved = new Map<string, ResolvedPeer>();
  const resolve = (p: Peer, version?: 4 | 6): ResolvedPeer | null => {
    const key = `${'pod' in p ? p.pod : p.ip}|${version ?? ''}`;
    let r = resolved.get(key);
    if (r === undefined) {
      const x = resolvePeer(snap, p, version);
      if ('problem' in x) return null;
      r = x;
      resolved.set(key, r);
    }
    return r;
  };
  const rows: MatrixRow[] = [];
  const names: string[] = [];
  for (const p of peers) { const r = resolve(p); if (r) names.push(r.name); }
  for (const a of peers) {
    for (const b of peers) {
      if (!('pod' in a) && !('pod' in b)) continue;
      let from = resolve(a);
      let to = resolve(b);
      if (from === null || to === null) continue;
      // Addresses of one family: a pod paired with an IPv6 address speaks IPv6.
      if (from.ip.version !== to.ip.version) {
        const v = 'ip' in a ? from.ip.version : to.ip.version;
        from = resolve(a, v);
        to = resolve(b, v);
        if (from === null || to === null) continue;
      }
      for (const protocol of req.protocols) {
        const isICMP = protocol === ICMP || protocol === ICMPV6;
        for (const port of isICMP ? [null] : req.ports) {
          const t = tracePacket(snap, from, to, port === null ? { protocol } : { protocol, port }, idx);
          rows.push({ from: from.name, to: to.name, protocol, port, verdict: t.verdict });
        }
      }
    }
  }
  return { peers: names, rows };
}
