// `ipam show`: how full each pool and block is, which addresses are borrowed, and what one address
// is assigned to (calicoctl ipam show; libcalico-go ipam GetUtilization).
//
// A block's "in use" is every ordinal not on its free list, as Calico counts it; a pool's is the sum
// over the blocks inside it, and its free count is the rest of the pool (unclaimed blocks included).

import { cidrContainsIP, cidrSize, parseCIDR, parseIP, type CIDR } from '../../lib/ip.js';
import {
  affinityNode, attributeOf, blockCidr, blockSize, ipOfOrdinal, ordinalOfIP, usedCount, type AllocationBlock,
} from '../block/index.js';
import type { PoolInfo } from './snapshot.js';

export interface BlockUsage {
  readonly cidr: string;
  readonly affinity: string | null;
  readonly capacity: number;
  readonly inUse: number;
  readonly free: number;
}

export interface PoolUsage {
  readonly name: string;
  readonly cidr: string;
  readonly disabled: boolean;
  /** A float for IPv6 pools (2^64 does not fit a safe integer); Calico prints it as %.5g. */
  readonly capacity: number;
  readonly inUse: number;
  readonly free: number;
  readonly blocks: readonly BlockUsage[];
}

export interface Utilization {
  readonly pools: readonly PoolUsage[];
  /** Blocks inside no pool (their pool was deleted or changed). */
  readonly orphanBlocks: readonly BlockUsage[];
}

const blockOrder = (a: CIDR, b: CIDR): number => (a.version - b.version) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

function blockUsage(b: AllocationBlock): BlockUsage {
  const inUse = usedCount(b);
  return { cidr: b.cidr, affinity: b.affinity, capacity: blockSize(b), inUse, free: blockSize(b) - inUse };
}

/** The pool a block lies in: the first whose CIDR contains the block's first address. */
export function poolOf(pools: readonly PoolInfo[], cidr: CIDR): PoolInfo | null {
  return pools.find((p) => { const pc = parseCIDR(p.cidr); return pc !== null && cidrContainsIP(pc, { version: cidr.version, value: cidr.address }); }) ?? null;
}

export function utilization(pools: readonly PoolInfo[], blocks: readonly AllocationBlock[]): Utilization {
  const sorted = [...blocks].filter((b) => parseCIDR(b.cidr)).sort((a, b) => blockOrder(blockCidr(a), blockCidr(b)));
  const byPool = new Map<string, BlockUsage[]>(pools.map((p) => [p.name, []]));
  const orphanBlocks: BlockUsage[] = [];
  for (const b of sorted) {
    const p = poolOf(pools, blockCidr(b));
    (p ? byPool.get(p.name)! : orphanBlocks).push(blockUsage(b));
  }
  return {
    pools: pools.map((p) => {
      const capacity = Number(cidrSize(parseCIDR(p.cidr)!));
      const bs = byPool.get(p.name)!;
      const inUse = bs.reduce((n, b) => n + b.inUse, 0);
      return { name: p.name, cidr: p.cidr, disabled: p.disabled, capacity, inUse, free: capacity - inUse, blocks: bs };
    }),
    orphanBlocks,
  };
}

export interface BorrowedIP {
  readonly ip: string;
  readonly borrowingNode: string;
  readonly block: string;
  /** '' when the block has no affinity. */
  readonly blockOwner: string;
  /** `pod`, or the allocation's `type` attribute (e.g. ipipTunnelAddress), else ''. */
  readonly type: string;
  /** `namespace/pod` for pods, else ''. */
  readonly allocatedTo: string;
}

/**
 * Addresses allocated to a node other than the block's owner (calicoctl ipam show --show-borrowed).
 * `unclassified` counts allocations without a `node` attribute: whether they are borrowed is unknown.
 */
export function borrowedIPs(blocks: readonly AllocationBlock[]): { borrowed: BorrowedIP[]; unclassified: number } {
  const borrowed: BorrowedIP[] = [];
  let unclassified = 0;
  const sorted = [...blocks].filter((b) => parseCIDR(b.cidr)).sort((a, b) => blockOrder(blockCidr(a), blockCidr(b)));
  for (const b of sorted) {
    const owner = affinityNode(b) ?? b.affinity ?? '';
    b.allocations.forEach((a, ord) => {
      if (a === null) return;
      const attrs = attributeOf(b, ord)?.secondary ?? {};
      const node = attrs['node'];
      if (node === undefined || node === '') { unclassified++; return; }
      if (node === owner) return;
      const pod = attrs['pod'];
      borrowed.push({
        ip: ipOfOrdinal(b, ord), borrowingNode: node, block: b.cidr, blockOwner: owner,
        type: pod ? 'pod' : attrs['type'] ?? '', allocatedTo: pod ? `${attrs['namespace'] ?? ''}/${pod}` : '',
      });
    });
  }
  return { borrowed, unclassified };
}

export interface Assignment {
  readonly ip: string;
  readonly block: string;
  readonly blockAffinity: string | null;
  readonly handle: string | null;
  readonly attributes: Readonly<Record<string, string>>;
  readonly sequenceNumber: number | null;
}

/** What `ip` is assigned to, or null when no block holds it allocated. */
export function assignmentOf(blocks: readonly AllocationBlock[], ip: string): Assignment | null {
  if (!parseIP(ip)) return null;
  for (const b of blocks) {
    if (!parseCIDR(b.cidr)) continue;
    const ord = ordinalOfIP(b, ip);
    if (ord === null || b.allocations[ord] === null || b.allocations[ord] === undefined) continue;
    const attr = attributeOf(b, ord);
    return {
      ip: ipOfOrdinal(b, ord), block: b.cidr, blockAffinity: b.affinity, handle: attr?.handle_id ?? null,
      attributes: attr?.secondary ?? {}, sequenceNumber: b.sequenceNumberForAllocation[String(ord)] ?? null,
    };
  }
  return null;
}
