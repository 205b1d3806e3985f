// The allocation block: one slice of a pool (a /26 by default), the unit of compare-and-swap and of
// route announcement. Its JSON form is Calico's AllocationBlock (libcalico-go model/block.go):
//
//   allocations[ord]  null = free, else an index into `attributes` (who holds the address)
//   unallocated       free ordinals in the order they are handed out (FIFO: released ones go last,
//                     so a just-freed address is reused as late as possible)
//   attributes        {handle_id, secondary} shared by the ordinals of one allocation call
//   sequenceNumber    bumped on every change; each allocation records the number it was made at,
//                     so a release can prove it frees the allocation it means (no ABA reuse)
//
// Pure: every function returns a new block and leaves its input untouched.

import { TortieError } from '../../lib/errors.js';
import { cidrSize, formatCIDR, formatIP, networkOf, parseCIDR, parseIP, type CIDR } from '../../lib/ip.js';

export interface AllocationAttribute {
  readonly handle_id: string | null;
  readonly secondary: Readonly<Record<string, string>> | null;
}

export interface AllocationBlock {
  readonly cidr: string;
  /** `host:<node>` when affine to a node, else null. */
  readonly affinity: string | null;
  /** When the current affinity was claimed (RFC 3339); used to decide when an empty block may be reclaimed. */
  readonly affinityClaimTime?: string;
  readonly strictAffinity: boolean;
  readonly allocations: ReadonlyArray<number | null>;
  readonly unallocated: readonly number[];
  readonly attributes: readonly AllocationAttribute[];
  readonly sequenceNumber: number;
  readonly sequenceNumberForAllocation: Readonly<Record<string, number>>;
  readonly deleted: boolean;
}

export const hostAffinity = (node: string): string => `host:${node}`;

export function affinityNode(b: AllocationBlock): string | null {
  return b.affinity?.startsWith('host:') ? b.affinity.slice(5) : null;
}

export function blockCidr(b: AllocationBlock): CIDR {
  const c = parseCIDR(b.cidr);
  if (!c) throw new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `An IPAM block has an invalid cidr ${JSON.stringify(b.cidr)}`);
  return c;
}

export function newBlock(cidr: CIDR, affinity: string | null, claimTime?: string): AllocationBlock {
  const n = Number(cidrSize(cidr));
  return {
    cidr: formatCIDR({ ...cidr, address: networkOf(cidr) }),
    affinity,
    ...(claimTime ? { affinityClaimTime: claimTime } : {}),
    strictAffinity: false,
    allocations: new Array<number | null>(n).fill(null),
    unallocated: Array.from({ length: n }, (_, i) => i),
    attributes: [],
    sequenceNumber: 0,
    sequenceNumberForAllocation: {},
    deleted: false,
  };
}

export const blockSize = (b: AllocationBlock): number => b.allocations.length;
export const freeCount = (b: AllocationBlock): number => b.unallocated.length;
export const usedCount = (b: AllocationBlock): number => b.allocations.length - b.unallocated.length;
export const isEmpty = (b: AllocationBlock): boolean => b.unallocated.length === b.allocations.length;

export function ipOfOrdinal(b: AllocationBlock, ord: number): string {
  const c = blockCidr(b);
  return formatIP({ version: c.version, value: networkOf(c) + BigInt(ord) });
}

/** The ordinal of `ip` in the block, or null when the block does not contain it. */
export function ordinalOfIP(b: AllocationBlock, ip: string): number | null {
  const c = blockCidr(b);
  const a = parseIP(ip);
  if (!a || a.version !== c.version) return null;
  const ord = a.value - networkOf(c);
  return ord >= 0n && ord < BigInt(b.allocations.length) ? Number(ord) : null;
}

export function attributeOf(b: AllocationBlock, ord: number): AllocationAttribute | null {
  const i = b.allocations[ord];
  return i === null || i === undefined ? null : b.attributes[i] ?? null;
}

export function handleOf(b: AllocationBlock, ord: number): string | null {
  return attributeOf(b, ord)?.handle_id ?? null;
}

export function ordinalsOfHandle(b: AllocationBlock, handle: string): number[] {
  const out: number[] = [];
  b.allocations.forEach((a, ord) => { if (a !== null && b.attributes[a]?.handle_id === handle) out.push(ord); });
  return out;
}

export interface AllocateRequest {
  readonly count: number;
  readonly handle: string | null;
  readonly secondary?: Readonly<Record<string, string>>;
  /** Addresses that must not be handed out (e.g. the node's own IP inside a pool): they stay free. */
  readonly reserved?: (ip: string) => boolean;
}

/**
 * Takes up to `count` free ordinals from the head of the free list. Fewer (possibly none) when the
 * block has fewer free. One attribute entry is shared by all ordinals of this call.
 */
export function allocate(b: AllocationBlock, req: AllocateRequest): { block: AllocationBlock; ordinals: number[] } {
  const ordinals: number[] = [];
  const skipped: number[] = [];
  const rest = [...b.unallocated];
  while (ordinals.length < req.count && rest.length > 0) {
    const ord = rest.shift()!;
    if (req.reserved?.(ipOfOrdinal(b, ord))) skipped.push(ord);
    else ordinals.push(ord);
  }
  if (ordinals.length === 0) return { block: b, ordinals };
  const attribute: AllocationAttribute = { handle_id: req.handle, secondary: req.secondary ? { ...req.secondary } : null };
  const attributes = [...b.attributes, attribute];
  const idx = attributes.length - 1;
  const allocations = [...b.allocations];
  const sequenceNumber = b.sequenceNumber + 1;
  const seqs = { ...b.sequenceNumberForAllocation };
  for (const ord of ordinals) {
    allocations[ord] = idx;
    seqs[String(ord)] = sequenceNumber;
  }
  return {
    block: { ...b, allocations, unallocated: [...skipped, ...rest], attributes, sequenceNumber, sequenceNumberForAllocation: seqs },
    ordinals,
  };
}

export interface ReleaseRequest {
  readonly ordinal: number;
  /** When given, the allocation must have been made at this sequence number (else it is skipped). */
  readonly sequenceNumber?: number;
}

export type ReleaseOutcome =
  | { readonly ordinal: number; readonly released: true; readonly handle: string | null }
  | { readonly ordinal: number; readonly released: false; readonly reason: 'not-allocated' | 'sequence-mismatch' };

/**
 * Frees ordinals; released ones go to the tail of the free list. Releasing a free ordinal is not an
 * error (it reports `not-allocated`): release is idempotent, as Calico's is.
 */
export function release(b: AllocationBlock, reqs: readonly ReleaseRequest[]): { block: AllocationBlock; outcomes: ReleaseOutcome[] } {
  const allocations = [...b.allocations];
  const seqs: Record<string, number> = { ...b.sequenceNumberForAllocation };
  const freed: number[] = [];
  const outcomes: ReleaseOutcome[] = [];
  for (const r of reqs) {
    const a = allocations[r.ordinal];
    if (a === null || a === undefined) { outcomes.push({ ordinal: r.ordinal, released: false, reason: 'not-allocated' }); continue; }
    if (r.sequenceNumber !== undefined && seqs[String(r.ordinal)] !== r.sequenceNumber) {
      outcomes.push({ ordinal: r.ordinal, released: false, reason: 'sequence-mismatch' });
      continue;
    }
    outcomes.push({ ordinal: r.ordinal, released: true, handle: b.attributes[a]?.handle_id ?? null });
    allocations[r.ordinal] = null;
    delete seqs[String(r.ordinal)];
    freed.push(r.ordinal);
  }
  if (freed.length === 0) return { block: b, outcomes };
  return {
    block: compactAttributes({
      ...b, allocations, unallocated: [...b.unallocated, ...freed], sequenceNumber: b.sequenceNumber + 1, sequenceNumberForAllocation: seqs,
    }),
    outcomes,
  };
}

/** Frees every ordinal held by `handle`. */
export function releaseHandle(b: AllocationBlock, handle: string): { block: AllocationBlock; ordinals: number[] } {
  const ordinals = ordinalsOfHandle(b, handle);
  return { block: release(b, ordinals.map((ordinal) => ({ ordinal }))).block, ordinals };
}

/** Drops attribute entries no allocation refers to any more, renumbering the references. */
function compactAttributes(b: AllocationBlock): AllocationBlock {
  const used = new Set(b.allocations.filter((a): a is number => a !== null));
  if (used.size === b.attributes.length) return b;
  const remap = new Map<number, number>();
  const attributes: AllocationAttribute[] = [];
  b.attributes.forEach((attr, i) => { if (used.has(i)) { remap.set(i, attributes.length); attributes.push(attr); } });
  return { ...b, attributes, allocations: b.allocations.map((a) => (a === null ? null : remap.get(a)!)) };
}

/**
 * What is wrong with a block value, if anything: every ordinal is either free (listed once in
 * `unallocated`) or held (pointing at an existing attribute), never both, never neither.
 */
export function blockProblems(b: AllocationBlock): string[] {
  const problems: string[] = [];
  const c = parseCIDR(b.cidr);
  if (!c) return [`cidr ${JSON.stringify(b.cidr)} is not a CIDR`];
  if (b.allocations.length !== Number(cidrSize(c))) problems.push(`${b.allocations.length} allocation slots for a block of ${cidrSize(c)} addresses`);
  const free = new Set<number>();
  for (const ord of b.unallocated) {
    if (free.has(ord)) problems.push(`ordinal ${ord} is listed twice as free`);
    free.add(ord);
    if (ord < 0 || ord >= b.allocations.length) problems.push(`free ordinal ${ord} is outside the block`);
  }
  b.allocations.forEach((a, ord) => {
    if (a === null && !free.has(ord)) problems.push(`${ipOfOrdinal(b, ord)} is neither allocated nor free (lost)`);
    if (a !== null && free.has(ord)) problems.push(`${ipOfOrdinal(b, ord)} is both allocated and free`);
    if (a !== null && (a < 0 || a >= b.attributes.length)) problems.push(`${ipOfOrdinal(b, ord)} points at missing attribute ${a}`);
  });
  return problems;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a stored block value, or null when it is not one. */
export function asBlock(v: unknown): AllocationBlock | null {
  if (!isObject(v) || typeof v['cidr'] !== 'string' || !Array.isArray(v['allocations']) || !Array.isArray(v['unallocated'])) return null;
  return {
    cidr: v['cidr'],
    affinity: typeof v['affinity'] === 'string' ? v['affinity'] : null,
    ...(typeof v['affinityClaimTime'] === 'string' ? { affinityClaimTime: v['affinityClaimTime'] } : {}),
    strictAffinity: v['strictAffinity'] === true,
    allocations: v['allocations'] as Array<number | null>,
    unallocated: v['unallocated'] as number[],
    attributes: Array.isArray(v['attributes']) ? v['attributes'] as AllocationAttribute[] : [],
    sequenceNumber: typeof v['sequenceNumber'] === 'number' ? v['sequenceNumber'] : 0,
    sequenceNumberForAllocation: isObject(v['sequenceNumberForAllocation']) ? v['sequenceNumberForAllocation'] as Record<string, number> : {},
    deleted: v['deleted'] === true,
  };
}
