// `ipam check`: cross-checks the IPAM records against each other and against who actually uses the
// addresses (calicoctl ipam check; calico.md §8), and says what is wrong in words an operator can act on.
//
//   owners   WorkloadEndpoint ipNetworks, Node tunnel addresses       who uses an address
//   blocks   allocations (+ attributes: handle, node, namespace, pod)  who IPAM thinks holds it
//   handles  per-block counts                                          what release-by-handle will free
//   affinities                                                         which node owns which block
//
// An allocation is in use when some owner has its address; the attributes then say what the owner
// should have been (a pod allocation belongs to a WorkloadEndpoint of that pod, a tunnel allocation
// to its node), which is what turns "unused" into a precise reason at 3 a.m.

import { cidrContainsIP, parseCIDR, parseIP } from '../../lib/ip.js';
import {
  affinityNode, attributeOf, blockCidr, blockProblems, ipOfOrdinal, type AllocationBlock,
} from '../block/index.js';
import type { IpamSnapshot, NodeInfo } from './snapshot.js';
import { poolOf } from './usage.js';

export type FindingKind =
  | 'leaked' | 'outside-pool' | 'not-allocated'
  | 'allocated-twice' | 'multiple-owners' | 'wrong-owner'
  | 'empty-handle' | 'missing-handle' | 'handle-mismatch'
  | 'unreadable-record' | 'invalid-block' | 'block-outside-pool'
  | 'block-without-affinity' | 'affinity-without-block' | 'pending-affinity' | 'block-of-missing-node';

export interface Finding {
  readonly kind: FindingKind;
  /** One line, starting with the address, block, handle or node it is about. */
  readonly message: string;
  readonly ip?: string;
  readonly block?: string;
  readonly handle?: string;
  readonly node?: string;
}

/**
 * The checks, grouped as they are printed; `found` is the summary line (calicoctl's wording where
 * calicoctl has the check). `perIP` checks can be long, so the CLI lists them in full only on request.
 */
export const CHECK_SECTIONS: ReadonlyArray<{
  readonly scanning: string;
  readonly checks: ReadonlyArray<{ readonly kind: FindingKind; readonly found: string; readonly perIP: boolean }>;
}> = [
  {
    scanning: 'Scanning for IPs that are allocated but not actually in use...',
    checks: [{ kind: 'leaked', found: 'IPs that are allocated in IPAM but not actually in use', perIP: true }],
  },
  {
    scanning: 'Scanning for IPs that are in use by a workload or node but not allocated in IPAM...',
    checks: [
      { kind: 'outside-pool', found: 'in-use IPs that are not in active IP pools', perIP: true },
      { kind: 'not-allocated', found: 'in-use IPs that are in active IP pools but have no corresponding IPAM allocation', perIP: true },
    ],
  },
  {
    scanning: 'Scanning for IPs with more than one owner...',
    checks: [
      { kind: 'allocated-twice', found: 'IPs allocated in more than one block', perIP: true },
      { kind: 'multiple-owners', found: 'IPs used by more than one workload or node', perIP: true },
      { kind: 'wrong-owner', found: 'IPs used by someone other than the workload or node they were allocated to', perIP: true },
    ],
  },
  {
    scanning: 'Scanning IPAM handles...',
    checks: [
      { kind: 'empty-handle', found: 'handles with no matching IPs', perIP: false },
      { kind: 'missing-handle', found: 'handles mentioned in blocks with no matching handle resource', perIP: false },
      { kind: 'handle-mismatch', found: 'handles whose counts disagree with the blocks', perIP: false },
    ],
  },
  {
    scanning: 'Scanning IPAM blocks and affinities...',
    checks: [
      { kind: 'unreadable-record', found: 'IPAM records that cannot be decoded', perIP: false },
      { kind: 'invalid-block', found: 'invalid blocks', perIP: false },
      { kind: 'block-outside-pool', found: 'blocks outside every IP pool', perIP: false },
      { kind: 'block-without-affinity', found: 'blocks whose owner has no confirmed affinity for them', perIP: false },
      { kind: 'affinity-without-block', found: 'confirmed affinities whose block is missing or owned by another node', perIP: false },
      { kind: 'pending-affinity', found: 'pending affinities', perIP: false },
      { kind: 'block-of-missing-node', found: 'blocks affine to a node that does not exist', perIP: false },
    ],
  },
];

export interface Allocation {
  readonly ip: string;
  readonly block: string;
  readonly ordinal: number;
  readonly handle: string | null;
  /** The block sequence number the allocation was made at: a release with it frees only this allocation. */
  readonly sequenceNumber: number | null;
  readonly attributes: Readonly<Record<string, string>>;
  /** The `node` attribute, else the block's owner, else ''. */
  readonly node: string;
  /** Allocated to a node other than the block's owner. */
  readonly borrowed: boolean;
  /** Who uses the address: `Workload(ns/name)`, `Node(name) spec.…`. Empty: leaked. */
  readonly owners: readonly string[];
  readonly inUse: boolean;
}

export interface CheckStats {
  readonly blocks: number;
  readonly allocations: number;
  readonly pools: number;
  readonly activePools: readonly string[];
  readonly affinities: number;
  readonly handles: number;
  readonly handlesWithAddresses: number;
  readonly workloadIPs: number;
  readonly nodeTunnelIPs: number;
  /** Distinct addresses used by workloads and nodes. */
  readonly inUseIPs: number;
  /** Allocations per node, most first (ties by name). */
  readonly allocationsByNode: ReadonlyArray<readonly [node: string, count: number]>;
}

export interface CheckResult {
  readonly allocations: readonly Allocation[];
  readonly findings: readonly Finding[];
  /** Handle records that hold nothing, with the revision a cleanup may delete them at. */
  readonly emptyHandles: ReadonlyArray<{ readonly id: string; readonly revision: number }>;
  readonly stats: CheckStats;
}

interface Owner {
  readonly kind: 'workload' | 'node';
  readonly label: string;
  readonly node: string;
  readonly namespace?: string;
  readonly pod?: string;
}

const TUNNEL_HANDLE = /^(?:ipip|vxlan|vxlan-v6|wireguard|wireguard-v6)-tunnel-addr-(.+)$/;
const TUNNEL_NAMES: Readonly<Record<string, string>> = {
  ipipTunnelAddress: 'IPIP tunnel address', vxlanTunnelAddress: 'VXLAN tunnel address', vxlanV6TunnelAddress: 'IPv6 VXLAN tunnel address',
  wireguardTunnelAddress: 'WireGuard address', wireguardV6TunnelAddress: 'IPv6 WireGuard address',
};

/** What the allocation says it is for: a node's tunnel, a pod, or unknown. */
function purposeOf(a: Allocation): { kind: 'node'; node: string; what: string } | { kind: 'workload'; namespace: string; pod: string } | null {
  const type = a.attributes['type'];
  const tunnelNode = a.handle ? TUNNEL_HANDLE.exec(a.handle)?.[1] : undefined;
  if ((type !== undefined && TUNNEL_NAMES[type]) || tunnelNode) {
    return { kind: 'node', node: a.attributes['node'] ?? tunnelNode ?? a.node, what: TUNNEL_NAMES[type ?? ''] ?? 'tunnel address' };
  }
  const pod = a.attributes['pod'];
  if (pod) return { kind: 'workload', namespace: a.attributes['namespace'] ?? '', pod };
  return null;
}

function describe(a: Allocation): string {
  const p = purposeOf(a);
  const handle = a.handle ? `handle ${a.handle}` : 'no handle';
  if (p?.kind === 'node') return `${p.what} of node ${p.node} (${handle})`;
  if (p?.kind === 'workload') return `pod ${p.namespace}/${p.pod}${a.node ? ` on ${a.node}` : ''} (${handle})`;
  return `${handle}${a.node ? `, node ${a.node}` : ''}`;
}

function leakReason(a: Allocation, nodes: ReadonlyMap<string, NodeInfo>): string {
  const p = purposeOf(a);
  if (p?.kind === 'node') {
    const n = nodes.get(p.node);
    if (!n) return `${a.ip} leaked: ${describe(a)}, but node ${p.node} no longer exists`;
    const has = n.tunnels.map((t) => `${t.field} ${t.ip}`).join(', ');
    return `${a.ip} leaked: ${describe(a)}, but Node ${p.node} does not use it (${has || 'it records no tunnel address'})`;
  }
  if (p?.kind === 'workload') return `${a.ip} leaked: allocated to ${describe(a)}, but no WorkloadEndpoint has it`;
  return `${a.ip} leaked: allocated (${describe(a)}), but no WorkloadEndpoint or node uses it`;
}

const ipOrder = (x: string, y: string): number => {
  const a = parseIP(x)!, b = parseIP(y)!;
  return (a.version - b.version) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
};
const blockOrder = (x: AllocationBlock, y: AllocationBlock): number =>
  ipOrder(x.cidr.split('/')[0]!, y.cidr.split('/')[0]!) || blockCidr(x).prefix - blockCidr(y).prefix;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function checkIpam(s: IpamSnapshot): CheckResult {
  const findings: Finding[] = [];
  const nodes = new Map(s.nodes.map((n) => [n.name, n] as const));
  const activePools = s.pools.filter((p) => !p.disabled);

  // Who uses which address.
  const owners = new Map<string, Owner[]>();
  const addOwner = (ip: string, o: Owner): void => { owners.set(ip, [...owners.get(ip) ?? [], o]); };
  let workloadIPs = 0, nodeTunnelIPs = 0;
  for (const w of s.workloads) {
    for (const ip of w.ips) {
      workloadIPs++;
      addOwner(ip, { kind: 'workload', label: `Workload(${w.namespace}/${w.name})`, node: w.node, namespace: w.namespace, ...(w.pod ? { pod: w.pod } : {}) });
    }
  }
  for (const n of s.nodes) {
    for (const t of n.tunnels) { nodeTunnelIPs++; addOwner(t.ip, { kind: 'node', label: `Node(${n.name}) ${t.field}`, node: n.name }); }
  }
  for (const os of owners.values()) os.sort((a, b) => a.label.localeCompare(b.label));

  for (const key of s.unreadable ?? []) {
    findings.push({ kind: 'unreadable-record', message: `${key} does not hold a valid IPAM record (it was ignored by this check)` });
  }

  // What the blocks say.
  const valid = s.blocks.filter((b) => {
    if (parseCIDR(b.cidr)) return true;
    findings.push({ kind: 'invalid-block', block: String(b.cidr), message: `block ${JSON.stringify(b.cidr)} has no valid CIDR` });
    return false;
  }).sort(blockOrder);
  const byIP = new Map<string, Allocation[]>();
  const drafts: Array<Omit<Allocation, 'owners' | 'inUse'>> = [];
  for (const b of valid) {
    const problems = blockProblems(b);
    if (problems.length > 0) findings.push({ kind: 'invalid-block', block: b.cidr, message: `block ${b.cidr} is inconsistent: ${problems.join('; ')}` });
    const owner = affinityNode(b);
    if (!poolOf(s.pools, blockCidr(b))) {
      const used = b.allocations.filter((a) => a !== null).length;
      findings.push({
        kind: 'block-outside-pool', block: b.cidr,
        message: `block ${b.cidr}${owner ? ` (affine to ${owner})` : ''} lies in no IP pool (its pool was deleted or changed); ${plural(used, 'address is', 'addresses are')} allocated in it`,
      });
    }
    b.allocations.forEach((a, ordinal) => {
      if (a === null || a === undefined) return;
      const attr = attributeOf(b, ordinal);
      const attributes = attr?.secondary ?? {};
      const node = attributes['node'] || owner || '';
      drafts.push({
        ip: ipOfOrdinal(b, ordinal), block: b.cidr, ordinal, handle: attr?.handle_id ?? null,
        sequenceNumber: b.sequenceNumberForAllocation[String(ordinal)] ?? null, attributes, node, borrowed: node !== (owner ?? ''),
      });
    });
  }
  const allocations: Allocation[] = drafts.map((d) => {
    const os = owners.get(d.ip) ?? [];
    const a: Allocation = { ...d, owners: os.map((o) => o.label), inUse: os.length > 0 };
    byIP.set(a.ip, [...byIP.get(a.ip) ?? [], a]);
    return a;
  });

  for (const ip of [...byIP.keys()].sort(ipOrder)) {
    const allocs = byIP.get(ip)!;
    const os = owners.get(ip) ?? [];
    if (allocs.length > 1) {
      findings.push({ kind: 'allocated-twice', ip, message: `${ip} is allocated in ${allocs.length} blocks: ${allocs.map((a) => `${a.block} (${describe(a)})`).join(', ')}` });
    }
    if (os.length === 0) { findings.push({ kind: 'leaked', ip, ...(allocs[0]!.handle ? { handle: allocs[0]!.handle } : {}), message: leakReason(allocs[0]!, nodes) }); continue; }
    for (const a of allocs) {
      const p = purposeOf(a);
      const fits = (o: Owner): boolean => (p?.kind === 'node' ? o.kind === 'node' && o.node === p.node
        : p?.kind === 'workload' ? o.kind === 'workload' && (o.pod === undefined || (o.pod === p.pod && o.namespace === p.namespace)) : true);
      if (p && !os.some(fits)) {
        findings.push({ kind: 'wrong-owner', ip, message: `${ip} was allocated as ${describe(a)} but is used by ${os.map((o) => o.label).join(' and ')}` });
      }
    }
  }

  const inActivePool = (ip: string): boolean => { const a = parseIP(ip)!; return activePools.some((p) => cidrContainsIP(parseCIDR(p.cidr)!, a)); };
  for (const ip of [...owners.keys()].sort(ipOrder)) {
    const os = owners.get(ip)!;
    if (os.length > 1) findings.push({ kind: 'multiple-owners', ip, message: `${ip} has multiple owners: ${os.map((o) => o.label).join(', ')}` });
    if (byIP.has(ip)) continue;
    const who = os.map((o) => o.label).join(', ');
    if (inActivePool(ip)) findings.push({ kind: 'not-allocated', ip, message: `${ip} in use by ${who} and in an active IP pool but has no IPAM allocation (IPAM may hand it out again)` });
    else findings.push({ kind: 'outside-pool', ip, message: `${ip} in use by ${who} is not in any active IP pool` });
  }

  // Handles: the record's per-block counts against what the blocks hold.
  const held = new Map<string, Map<string, number>>();
  for (const a of allocations) {
    if (a.handle === null) continue;
    const m = held.get(a.handle) ?? new Map<string, number>();
    m.set(a.block, (m.get(a.block) ?? 0) + 1);
    held.set(a.handle, m);
  }
  const emptyHandles: Array<{ id: string; revision: number }> = [];
  const recorded = new Set<string>();
  for (const h of [...s.handles].sort((x, y) => x.id.localeCompare(y.id))) {
    recorded.add(h.id);
    const actual = held.get(h.id);
    const counts = Object.entries(h.block).map(([c, n]) => `${c}: ${n}`).join(', ') || 'nothing';
    if (!actual) {
      emptyHandles.push({ id: h.id, revision: h.revision });
      findings.push({ kind: 'empty-handle', handle: h.id, message: `handle ${h.id} doesn't have any active IPs (its record counts ${counts})` });
      continue;
    }
    const cidrs = [...new Set([...Object.keys(h.block), ...actual.keys()])].sort();
    const wrong = cidrs.filter((c) => (h.block[c] ?? 0) !== (actual.get(c) ?? 0))
      .map((c) => `${h.block[c] ?? 0} in ${c} where the block holds ${actual.get(c) ?? 0}`);
    if (wrong.length > 0) findings.push({ kind: 'handle-mismatch', handle: h.id, message: `handle ${h.id} counts ${wrong.join('; ')} (release by handle would free the wrong number)` });
  }
  for (const [id, m] of [...held].sort(([x], [y]) => x.localeCompare(y))) {
    if (recorded.has(id)) continue;
    const ips = allocations.filter((a) => a.handle === id).map((a) => a.ip);
    findings.push({
      kind: 'missing-handle', handle: id,
      message: `handle ${id} is in use in ${plural(m.size, 'block')} (${ips.join(', ')}) but has no handle record (release by handle would miss ${ips.length === 1 ? 'it' : 'them'})`,
    });
  }

  // Affinities: a confirmed affinity and the block's own affinity must agree.
  const blockByCidr = new Map(valid.map((b) => [b.cidr, b] as const));
  const affinityOf = new Map(s.affinities.map((a) => [`${a.node}\n${a.cidr}`, a] as const));
  for (const b of valid) {
    const owner = affinityNode(b);
    if (!owner) continue;
    const rec = affinityOf.get(`${owner}\n${b.cidr}`);
    if (!rec) {
      findings.push({ kind: 'block-without-affinity', block: b.cidr, node: owner, message: `block ${b.cidr} is affine to ${owner}, but ${owner} has no affinity record for it (its routes and claims follow the affinity)` });
    }
    if (!nodes.has(owner)) {
      findings.push({ kind: 'block-of-missing-node', block: b.cidr, node: owner, message: `block ${b.cidr} is affine to node ${owner}, which does not exist (deleted without releasing its addresses?)` });
    }
  }
  for (const a of [...s.affinities].sort((x, y) => x.node.localeCompare(y.node) || x.cidr.localeCompare(y.cidr))) {
    const b = blockByCidr.get(a.cidr);
    if (a.state !== 'confirmed') {
      const blockSays = !b ? 'the block does not exist' : b.affinity === `host:${a.node}` ? `the block exists and is affine to ${a.node}` : `the block is affine to ${b.affinity ?? 'nobody'}`;
      const what = a.state === 'pending' ? 'a claim that never completed (or is in progress right now)' : 'a release that never completed';
      findings.push({ kind: 'pending-affinity', block: a.cidr, node: a.node, message: `${a.node}'s affinity for ${a.cidr} is ${a.state}: ${what}; ${blockSays}` });
      continue;
    }
    if (!b) findings.push({ kind: 'affinity-without-block', block: a.cidr, node: a.node, message: `${a.node} has a confirmed affinity for ${a.cidr} but the block does not exist` });
    else if (affinityNode(b) !== a.node) findings.push({ kind: 'affinity-without-block', block: a.cidr, node: a.node, message: `${a.node} has a confirmed affinity for ${a.cidr} but the block is affine to ${b.affinity ?? 'nobody'}` });
  }

  const order = CHECK_SECTIONS.flatMap((sec) => sec.checks.map((c) => c.kind));
  findings.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));

  const perNode = new Map<string, number>();
  for (const a of allocations) perNode.set(a.node, (perNode.get(a.node) ?? 0) + 1);
  return {
    allocations,
    findings,
    emptyHandles,
    stats: {
      blocks: s.blocks.length, allocations: allocations.length, pools: s.pools.length, activePools: activePools.map((p) => p.cidr),
      affinities: s.affinities.length, handles: s.handles.length, handlesWithAddresses: s.handles.filter((h) => held.has(h.id)).length,
      workloadIPs, nodeTunnelIPs, inUseIPs: owners.size,
      allocationsByNode: [...perNode].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)),
    },
  };
}
