// What applying some resources would change: the matrix before and after, compared pair by pair.
// The ports probed are the ones the policies name (each port and each range's ends, named ports
// resolved on the endpoints), plus one port no rule names, so a change to "all other ports"
// shows as well.

import type { Resource } from '../model/index.js';
import { ICMP, SCTP, TCP, UDP } from './packet.js';
import { computeMatrix, type MatrixRow } from './matrix.js';
import { buildSnapshot, type PolicyResources, type Snapshot } from './snapshot.js';

const FIELD_OF_KIND: Readonly<Record<string, keyof PolicyResources>> = {
  WorkloadEndpoint: 'workloadEndpoints', HostEndpoint: 'hostEndpoints', Profile: 'profiles', Tier: 'tiers',
  NetworkPolicy: 'networkPolicies', GlobalNetworkPolicy: 'globalNetworkPolicies', NetworkSet: 'networkSets', GlobalNetworkSet: 'globalNetworkSets',
};

const idOf = (r: Resource): string => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;

/** The resources as they would be after `apply` of `changes` (kinds without policy meaning are ignored). */
export function withApplied(res: PolicyResources, changes: readonly Resource[]): PolicyResources {
  const out: Record<string, Resource[]> = {};
  for (const [k, v] of Object.entries(res)) out[k] = [...(v as Resource[])];
  for (const c of changes) {
    const field = FIELD_OF_KIND[c.kind];
    if (field === undefined) continue;
    const list = out[field] ?? (out[field] = []);
    const i = list.findIndex((r) => idOf(r) === idOf(c));
    if (i >= 0) list[i] = c; else list.push(c);
  }
  return out as PolicyResources;
}

/** Representative destination ports: every port and range end the policies name, and one they do not. */
export function portsNamed(snaps: readonly Snapshot[]): number[] {
  const ports = new Set<number>();
  const ranges: Array<[number, number]> = [];
  const names = new Set<string>();
  for (const s of snaps) {
    const rules = [...s.tiers.flatMap((t) => t.policies.flatMap((p) => [...(p.ingress ?? []), ...(p.egress ?? [])])),
      ...[...s.profiles.values()].flatMap((p) => [...p.ingress, ...p.egress])];
    for (const r of rules) {
      for (const e of [r.dst, r.src]) {
        for (const pr of [...(e.ports ?? []), ...e.notPorts]) { ports.add(pr.lo); ports.add(pr.hi); ranges.push([pr.lo, pr.hi]); }
        for (const n of [...e.namedPorts, ...e.notNamedPorts]) names.add(n);
      }
    }
    for (const ep of s.endpoints) for (const p of ep.ports) if (names.has(p.name)) ports.add(p.port);
  }
  let other = 65535;
  while (other > 1 && (ports.has(other) || ranges.some(([lo, hi]) => other >= lo && other <= hi))) other--;
  ports.add(other);
  return [...ports].sort((a, b) => a - b);
}

export interface ImpactRow {
  readonly from: string;
  readonly to: string;
  readonly protocol: number;
  readonly port: number | null;
  readonly before: 'allow' | 'deny';
  readonly after: 'allow' | 'deny';
}

export interface ImpactRequest {
  readonly namespaces?: readonly string[];
  readonly ips?: readonly string[];
  readonly protocols?: readonly number[];
  readonly ports?: readonly number[];
}

export function impactOf(before: PolicyResources, changes: readonly Resource[], req: ImpactRequest = {}): { ports: number[]; rows: ImpactRow[] } {
  const after = withApplied(before, changes);
  const a = buildSnapshot(before);
  const b = buildSnapshot(after);
  const ports = req.ports && req.ports.length > 0 ? [...req.ports] : portsNamed([a, b]);
  const mreq = { namespaces: req.namespaces ?? [], ips: req.ips ?? [], protocols: req.protocols ?? [TCP, UDP, SCTP, ICMP], ports };
  const key = (r: MatrixRow): string => `${r.from}|${r.to}|${r.protocol}|${r.port}`;
  const old = new Map(computeMatrix(a, mreq).rows.map((r) => [key(r), r.verdict] as const));
  const rows: ImpactRow[] = [];
  for (const r of computeMatrix(b, mreq).rows) {
    const was = old.get(key(r));
    if (was !== undefined && was !== r.verdict) rows.push({ from: r.from, to: r.to, protocol: r.protocol, port: r.port, before: was, after: r.verdict });
  }
  return { ports, rows };
}
