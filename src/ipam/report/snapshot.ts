// What the IPAM reports are computed from: plain data, read from the datastore by the caller.
//
//   IPAM records  blocks, affinities, handles  — one list of /calico/ipam/v2/, so they are mutually
//                                                 consistent (read at one revision)
//   resources     pools, WorkloadEndpoints, Nodes (their tunnel addresses)
//
// The two halves cannot be read at one revision, so a pod that is being set up or torn down at that
// moment may look leaked; `ipam release --from-report` re-checks before it frees anything.

import { formatCIDR, formatIP, parseCIDR, parseIP } from '../../lib/ip.js';
import type { Resource } from '../../model/index.js';
import {
  asAffinity, asBlock, asHandle, parseAffinityKey, parseBlockKey, parseHandleKey, type AffinityState, type AllocationBlock,
} from '../block/index.js';

export interface PoolInfo {
  readonly name: string;
  /** Canonical CIDR text. */
  readonly cidr: string;
  readonly blockSize: number;
  readonly disabled: boolean;
}

export interface AffinityRecord {
  readonly node: string;
  /** The block CIDR, canonical. */
  readonly cidr: string;
  readonly state: AffinityState;
}

export interface HandleRecord {
  readonly id: string;
  /** Addresses per block CIDR, as the handle record counts them. */
  readonly block: Readonly<Record<string, number>>;
  /** The record's datastore revision: a release from a report deletes it only at this revision. */
  readonly revision: number;
}

export interface WorkloadInfo {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly pod?: string;
  /** Single addresses, canonical (the /32 and /128 of ipNetworks dropped). */
  readonly ips: readonly string[];
}

export interface TunnelAddress {
  readonly ip: string;
  /** Where the node records it: `spec.bgp.ipv4IPIPTunnelAddr`, `spec.ipv4VXLANTunnelAddr`… */
  readonly field: string;
}

export interface NodeInfo {
  readonly name: string;
  readonly tunnels: readonly TunnelAddress[];
}

export interface IpamSnapshot {
  readonly pools: readonly PoolInfo[];
  readonly blocks: readonly AllocationBlock[];
  readonly affinities: readonly AffinityRecord[];
  readonly handles: readonly HandleRecord[];
  readonly workloads: readonly WorkloadInfo[];
  readonly nodes: readonly NodeInfo[];
  /** Keys under the IPAM root whose values do not decode. */
  readonly unreadable?: readonly string[];
}

/** A single address in canonical text, from `10.0.0.1`, `10.0.0.1/32` or `fd00::1/128`; null otherwise. */
export function canonicalIP(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const c = parseCIDR(text);
    if (!c || c.prefix !== (c.version === 4 ? 32 : 128)) return null;
    return formatIP({ version: c.version, value: c.address });
  }
  const ip = parseIP(text);
  return ip ? formatIP(ip) : null;
}

export interface IpamRecords {
  readonly blocks: AllocationBlock[];
  readonly affinities: AffinityRecord[];
  readonly handles: HandleRecord[];
  /** Keys under the IPAM root that are none of the above or do not decode (shown, not fatal). */
  readonly unreadable: string[];
}

/**
 * Sorts the listing of `/calico/ipam/v2/` into blocks, affinities and handles. Records marked
 * `deleted` are treated as absent, as Calico's readers do (a soft delete on the way out).
 */
export function parseIpamRecords(kvs: ReadonlyArray<{ readonly key: string; readonly value: unknown; readonly revision: number }>): IpamRecords {
  const out: IpamRecords = { blocks: [], affinities: [], handles: [], unreadable: [] };
  for (const kv of kvs) {
    if (parseBlockKey(kv.key)) {
      const b = asBlock(kv.value);
      if (!b) out.unreadable.push(kv.key);
      else if (!b.deleted) out.blocks.push(b);
      continue;
    }
    const aff = parseAffinityKey(kv.key);
    if (aff) {
      const a = asAffinity(kv.value);
      if (!a) out.unreadable.push(kv.key);
      else if (!a.deleted) out.affinities.push({ node: aff.node, cidr: formatCIDR(aff.cidr), state: a.state });
      continue;
    }
    const id = parseHandleKey(kv.key);
    if (id !== null) {
      const h = asHandle(kv.value);
      if (!h) out.unreadable.push(kv.key);
      else if (!h.deleted) out.handles.push({ id, block: h.block, revision: kv.revision });
    }
    // Anything else (virtual affinities, Calico's v1 config key) is not Tortie's to judge.
  }
  return out;
}

const at = (o: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), o);

export function poolInfo(r: Resource): PoolInfo | null {
  const c = parseCIDR(String(r.spec['cidr']));
  if (!c) return null;
  const size = typeof r.spec['blockSize'] === 'number' ? r.spec['blockSize'] : c.version === 4 ? 26 : 122;
  return { name: r.metadata.name, cidr: formatCIDR(c), blockSize: size, disabled: r.spec['disabled'] === true };
}

export function workloadInfo(r: Resource): WorkloadInfo {
  const nets = Array.isArray(r.spec['ipNetworks']) ? r.spec['ipNetworks'] as unknown[] : [];
  const pod = r.spec['pod'];
  return {
    namespace: r.metadata.namespace ?? 'default',
    name: r.metadata.name,
    node: typeof r.spec['node'] === 'string' ? r.spec['node'] : '',
    ...(typeof pod === 'string' && pod !== '' ? { pod } : {}),
    ips: nets.flatMap((n) => { const ip = typeof n === 'string' ? canonicalIP(n) : null; return ip ? [ip] : []; }),
  };
}

/** The Node fields that hold addresses taken from IPAM (Calico's ipam check reads the same ones). */
export const TUNNEL_FIELDS: ReadonlyArray<readonly string[]> = [
  ['bgp', 'ipv4IPIPTunnelAddr'], ['ipv4VXLANTunnelAddr'], ['ipv6VXLANTunnelAddr'],
  ['wireguard', 'interfaceIPv4Address'], ['wireguard', 'interfaceIPv6Address'],
];

export function nodeInfo(r: Resource): NodeInfo {
  const tunnels: TunnelAddress[] = [];
  for (const path of TUNNEL_FIELDS) {
    const v = at(r.spec, path);
    const ip = typeof v === 'string' ? canonicalIP(v) : null;
    if (ip) tunnels.push({ ip, field: `spec.${path.join('.')}` });
  }
  return { name: r.metadata.name, tunnels };
}
