// Evaluator helpers for tests: one verdict, or a whole reachability table in the compact form
// the Kubernetes netpol e2e tests use.

import { buildSnapshot, computeMatrix, resolvePeer, tracePacket, type PolicyResources, type Snapshot, type TraceResult, ICMP, SCTP, TCP, UDP } from '../../src/policy/index.js';
import type { Resource } from '../../src/model/index.js';
import { group } from './policy-fixtures.js';

export const PROTOCOLS = { tcp: TCP, udp: UDP, sctp: SCTP, icmp: ICMP } as const;

export function snapshotOf(resources: readonly Resource[] | PolicyResources): Snapshot {
  return buildSnapshot(Array.isArray(resources) ? group(resources as Resource[]) : resources as PolicyResources);
}

/** `from`/`to`: "ns/pod" or an IP. */
export function trace(snap: Snapshot, from: string, to: string, proto: keyof typeof PROTOCOLS, port?: number, icmp?: { type?: number; code?: number }): TraceResult {
  const peer = (s: string): { ip: string } | { pod: string } => (/^\d|:/.test(s) ? { ip: s } : { pod: s });
  const pa = peer(from), pb = peer(to);
  // Both ends speak one family: an address given on one side picks it.
  const version = 'ip' in pa ? (pa.ip.includes(':') ? 6 : 4) : 'ip' in pb ? (pb.ip.includes(':') ? 6 : 4) : undefined;
  const a = resolvePeer(snap, pa, version);
  const b = resolvePeer(snap, pb, version);
  if ('problem' in a || 'problem' in b) throw new Error(`cannot resolve ${from} or ${to}`);
  return tracePacket(snap, a, b, { protocol: PROTOCOLS[proto], ...(port !== undefined ? { port } : {}), ...(icmp?.type !== undefined ? { icmpType: icmp.type } : {}), ...(icmp?.code !== undefined ? { icmpCode: icmp.code } : {}) });
}

export const allows = (snap: Snapshot, from: string, to: string, proto: keyof typeof PROTOCOLS, port?: number): boolean =>
  trace(snap, from, to, proto, port).verdict === 'allow';

/**
 * The set of denied "from→to" pairs (self pairs excluded) for one protocol and port, sorted:
 * e.g. ["x/a→x/b", …]. Denials are the exception in most scenarios, so they are what tests list.
 */
export function denied(snap: Snapshot, proto: keyof typeof PROTOCOLS, port: number | null): string[] {
  const m = computeMatrix(snap, { namespaces: [], protocols: [PROTOCOLS[proto]], ports: port === null ? [] : [port], ips: [] });
  return m.rows.filter((r) => r.verdict === 'deny' && r.from !== r.to).map((r) => `${r.from}→${r.to}`).sort();
}

/** Every ordered pair of the 9 x/y/z pods except self, optionally filtered. */
export function pairs(filter: (from: string, to: string) => boolean): string[] {
  const pods = ['x', 'y', 'z'].flatMap((ns) => ['a', 'b', 'c'].map((p) => `${ns}/${p}`));
  return pods.flatMap((a) => pods.filter((b) => b !== a && filter(a, b)).map((b) => `${a}→${b}`)).sort();
}
