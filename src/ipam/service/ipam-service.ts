// Calico's IPAM (calico.md §4) over the Store port. Every change is a compare-and-swap commit, and
// where Calico needs two writes that can tear (a block and its handle, a reclaimed block and the
// affinities), Tortie commits them as one transaction, so a crash can never leave them disagreeing.
//
// autoAssign(node, handle, n):
//   1. the node's confirmed affine blocks, in order: allocate from each (CAS on the block)
//   2. none left with room: claim a new block — walk the pools' block CIDRs from a start seeded by
//      the node name; two-phase claim: pending affinity → (block created ∧ affinity confirmed);
//      or reclaim another node's empty block whose claim is older than EMPTY_BLOCK_RECLAIM_AGE;
//      at most maxBlocksPerHost blocks (then TORTIE_ERR_IPAM_BLOCK_LIMIT, no borrowing)
//   3. the pools have no free block at all and strictAffinity is off: borrow from other nodes'
//      blocks (the borrowed address is announced as a /32 by the BGP speaker)
//   4. still short: release what this call took and fail (TORTIE_ERR_IPAM_POOL_EXHAUSTED)

import { TortieError, isTortieError } from '../../lib/errors.js';
import { formatCIDR, parseCIDR, parseIP, cidrContainsIP, type CIDR } from '../../lib/ip.js';
import type { KV, Store, WriteOp } from '../../datastore/ports.js';
import {
  DEFAULT_MAX_BLOCKS_PER_HOST, IPAMConfiguration, IPPool, Node, type IPPoolSpec, type Resource,
} from '../../model/index.js';
import type { ResourceClient } from '../../resources/index.js';
import {
  adjustHandle, affinityKey, affinityNode, affinityPrefix, allocate, asAffinity, asBlock, asHandle, blockContaining, blockCidr,
  blockKey, blockPrefix, blockWalk, freeCount, handleKey, hostAffinity, ipOfOrdinal, isEmpty, newBlock, ordinalOfIP, ordinalsOfHandle,
  parseAffinityKey, release, releaseHandle, selectPools, type AllocationBlock, type IPAMHandle, type Pool, type PoolUse,
} from '../block/index.js';

/** CAS retries per record before giving up (Calico: datastoreRetries = 100). */
export const MAX_RETRIES = 100;
/** How long one IpamService reuses the IPAM configuration, a node and the pools it has read. */
export const INPUT_TTL_MS = 1000;
/** Another node's empty block may be taken over once its claim is this old (Calico: 1 minute). */
export const EMPTY_BLOCK_RECLAIM_AGE_MS = 60_000;



export interface AssignRequest {
  readonly node: string;
  readonly handle: string;
  readonly count?: number;
  /** Recorded with the allocation (Calico's `secondary` attributes: node, namespace, pod, type…). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Pool names or CIDRs to allocate from; default: every pool that may serve the node. */
  readonly pools?: readonly string[];
  readonly use?: PoolUse;
}

export interface IpamConfig {
  readonly strictAffinity: boolean;
  readonly autoAllocateBlocks: boolean;
  readonly maxBlocksPerHost: number;
}

export interface ReleaseRequest {
  readonly ip: string;
  /** The block sequence number the allocation was made at: a mismatch leaves the address alone. */
  readonly sequenceNumber?: number;
}


export interface IpamServiceOptions {
  readonly now?: () => Date;
  /** In [0, 1); used to spread borrowing over other nodes' blocks. */
  readonly random?: () => number;
}

export const isRace = (e: unknown): boolean => isTortieError(e)
  && (e.code === 'TORTIE_ERR_DATASTORE_CONFLICT' || e.code === 'TORTIE_ERR_DATASTORE_ALREADY_EXISTS' || e.code === 'TORTIE_ERR_DATASTORE_NOT_FOUND');

async function getOrNull(store: Store, key: string): Promise<KV | null> {
  try { return await store.get(key); } catch (e) {
    if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) return null;
    throw e;
  }
}

export function contention(what: string): TortieError {
  return new TortieError('TORTIE_ERR_IPAM_CONTENTION', `Gave up ${what} after ${MAX_RETRIES} conflicting concurrent writes; try again`);
}

/** The handle record's write: create when new, update at its revision, delete when it holds nothing. */
function handleOp(key: string, current: KV | null, next: IPAMHandle | null): WriteOp | null {
  if (next === null) return current ? { op: 'delete', key, revision: current.revision } : null;
  return current ? { op: 'update', key, value: next, revision: current.revision } : { op: 'create', key, value: next };
}

export class IpamService {
  private readonly now: () => Date;
  private readonly random: () => number;
  /** Per node, the block that last had room: where its next allocation most likely fits. */
  private readonly lastWithRoom = new Map<string, string>();
  /**
   * Blocks as this service last committed them (bounded): the next allocation in the same block
   * compare-and-swaps against that revision without reading it first. Any other writer makes the
   * CAS fail, and the block is read afresh.
   */
  private readonly lastWritten = new Map<string, KV>();
  private remember(kv: KV): void {
    this.lastWritten.delete(kv.key);
    this.lastWritten.set(kv.key, kv);
    if (this.lastWritten.size > 64) this.lastWritten.delete(this.lastWritten.keys().next().value!);
  }
  private readonly inputCache = new Map<string, { at: number; value: { cfg: IpamConfig; node: Resource; pools: Pool[] } }>();

  constructor(private readonly store: Store, readonly resources: ResourceClient, options: IpamServiceOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  // ---- inputs -------------------------------------------------------------------------------

  async config(): Promise<IpamConfig> {
    let spec: Record<string, unknown> = {};
    try { spec = (await this.resources.get(IPAMConfiguration, 'default')).spec; } catch (e) {
      if (!isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) throw e;
    }
    const max = typeof spec['maxBlocksPerHost'] === 'number' && spec['maxBlocksPerHost'] > 0 ? spec['maxBlocksPerHost'] : DEFAULT_MAX_BLOCKS_PER_HOST;
    return { strictAffinity: spec['strictAffinity'] === true, autoAllocateBlocks: spec['autoAllocateBlocks'] !== false, maxBlocksPerHost: max };
  }

  async node(name: string): Promise<Resource> {
    try { return await this.resources.get(Node, name); } catch (e) {
      if (isTortieError(e, 'TORTIE_ERR_DATASTORE_NOT_FOUND')) {
        throw new TortieError('TORTIE_ERR_IPAM_UNKNOWN_NODE', `Node ${name} does not exist: start the Tortie agent on it (it creates its Node resource) or check the node name`, { node: name });
      }
      throw e;
    }
  }

  async allPools(): Promise<Pool[]> {
    return (await this.resources.list(IPPool)).flatMap((r) => {
      const cidr = parseCIDR(String(r.spec['cidr']));
      return cidr ? [{ name: r.metadata.name, cidr, spec: r.spec as unknown as IPPoolSpec }] : [];
    });
  }

  /** The IPv4 pools that may serve `node` for `use`, narrowed to `requested` (names or CIDRs). */
  async poolsFor(node: Resource, use: PoolUse, requested?: readonly string[]): Promise<Pool[]> {
    return selectPools(await this.allPools(), node, use, requested);
  }

  /** CIDRs of the node's confirmed affine blocks (pending ones count for nothing). */
  async affineBlocks(node: string): Promise<CIDR[]> {
    const { items } = await this.store.list(affinityPrefix(node, 4));
    return items.flatMap((kv) => {
      const a = parseAffinityKey(kv.key);
      return a && asAffinity(kv.value)?.state === 'confirmed' ? [a.cidr] : [];
    });
  }

  async allBlocks(): Promise<Array<{ kv: KV; block: AllocationBlock }>> {
    const { items } = await this.store.list(blockPrefix(4));
    return items.flatMap((kv) => {
      const block = asBlock(kv.value);
      return block ? [{ kv, block }] : [];
    });
  }

  /**
   * The configuration, the node and the pools, read together and reused for INPUT_TTL_MS: a node
   * allocating in a burst does not re-read them for every address. A pool disabled (or a node
   * relabelled) is therefore seen by a running allocator within that time.
   */
  private async inputs(nodeName: string): Promise<{ cfg: IpamConfig; node: Resource; pools: Pool[] }> {
    const hit = this.inputCache.get(nodeName);
    if (hit && performance.now() - hit.at < INPUT_TTL_MS) return hit.value;
    const [cfg, node, pools] = await Promise.all([this.config(), this.node(nodeName), this.allPools()]);
    this.inputCache.set(nodeName, { at: performance.now(), value: { cfg, node, pools } });
    return { cfg, node, pools };
  }

  // ---- allocation ---------------------------------------------------------------------------

  async autoAssign(req: AssignRequest): Promise<string[]> {
    const want = req.count ?? 1;
    const { cfg, node, pools: all } = await this.inputs(req.node);
    const pools = selectPools(all, node, req.use ?? 'Workload', req.pools);
    const inPools = (c: CIDR): boolean => pools.some((p) => cidrContainsIP(p.cidr, { version: c.version, value: c.address }));
    const got: string[] = [];
    try {
      // Fast path: the block that last had room for this node — one read and one commit, the
      // "one or two CAS writes" an allocation should cost. allocateIn checks the block is ours.
      const hint = this.lastWithRoom.get(req.node);
      const hinted = hint ? parseCIDR(hint) : null;
      if (hinted && inPools(hinted)) got.push(...await this.allocateIn(hinted, req, want, false));
      for (let round = 0; got.length < want; round++) {
        if (round > MAX_RETRIES) throw contention(`allocating for node ${req.node}`);
        for await (const c of this.blocksWithRoom(req.node, inPools)) {
          while (got.length < want) {
            const ips = await this.allocateIn(c, req, want - got.length, false);
            if (ips.length === 0) break;
            got.push(...ips);
            this.lastWithRoom.set(req.node, formatCIDR(c));
          }
          // Stop before asking for the next block: that would start the sweep of the others.
          if (got.length >= want) break;
        }
        if (got.length >= want || !cfg.autoAllocateBlocks) break;
        const owned = (await this.affineBlocks(req.node)).length;
        if (owned >= cfg.maxBlocksPerHost) {
          throw new TortieError('TORTIE_ERR_IPAM_BLOCK_LIMIT',
            `Node ${req.node} already owns ${owned} blocks (maxBlocksPerHost ${cfg.maxBlocksPerHost}) and they are full; it may not claim another`, { node: req.node });
        }
        if (!(await this.claimNewBlock(req.node, pools))) break;
      }
      if (got.length < want && !cfg.strictAffinity) got.push(...await this.borrow(req, pools, want - got.length));
      if (got.length < want) {
        throw new TortieError('TORTIE_ERR_IPAM_POOL_EXHAUSTED',
          `No free address for node ${req.node} in ${pools.map((p) => `${p.name} (${formatCIDR(p.cidr)})`).join(', ')}: got ${got.length} of ${want}`
          + (cfg.strictAffinity ? '; strictAffinity keeps other nodes\' blocks off limits' : '; every block is full'), { node: req.node });
      }
      return got;
    } catch (e) {
      // All or nothing: an allocation that cannot complete gives back what it took.
      if (got.length > 0) await this.releaseIPs(got.map((ip) => ({ ip }))).catch(() => {});
      throw e;
    }
  }

  /** The node's affine blocks that have room (read in one parallel sweep), in key order. */
  private async *blocksWithRoom(node: string, inPools: (c: CIDR) => boolean): AsyncGenerator<CIDR> {
    const mine = (await this.affineBlocks(node)).filter(inPools);
    const kvs = await Promise.all(mine.map((c) => getOrNull(this.store, blockKey(c))));
    for (let i = 0; i < mine.length; i++) {
      const b = kvs[i] ? asBlock(kvs[i]!.value) : null;
      // Missing or unreadable blocks go to allocateIn, which repairs or reports them.
      if (b === null || freeCount(b) > 0) yield mine[i]!;
    }
  }

  /** Allocates up to `count` addresses in one block with CAS; [] when the block has none for us. */
  private async allocateIn(c: CIDR, req: AssignRequest, count: number, borrowing: boolean): Promise<string[]> {
    const bKey = blockKey(c);
    const hKey = handleKey(req.handle);
    let hkv: KV | null | undefined; // undefined: not read yet (most handles are new: try create first)
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      // The block as this service last wrote it, if it did: the CAS below proves it is still current.
      const cached = attempt === 0 ? this.lastWritten.get(bKey) : undefined;
      const kv = cached ?? await getOrNull(this.store, bKey);
      const view = cached ? asBlock(cached.value) : null;
      if (cached && (!view || freeCount(view) === 0 || view.affinity !== (borrowing ? view.affinity : hostAffinity(req.node)))) {
        // The remembered block cannot serve this request, but it may be stale: decide on a fresh read.
        this.lastWritten.delete(bKey);
        continue;
      }
      if (!kv) {
        if (borrowing) return [];
        // The block is gone. If our affinity to it is still confirmed (the block deleted by hand),
        // recreate it; if not (released since — the hint that led here is stale), it is not ours.
        const aff = await getOrNull(this.store, affinityKey(req.node, c));
        if (!aff || asAffinity(aff.value)?.state !== 'confirmed') {
          if (this.lastWithRoom.get(req.node) === formatCIDR(c)) this.lastWithRoom.delete(req.node);
          return [];
        }
        try { await this.store.create(bKey, newBlock(c, hostAffinity(req.node), this.now().toISOString())); } catch (e) { if (!isRace(e)) throw e; }
        continue;
      }
      const block = asBlock(kv.value);
      if (!block) throw new TortieError('TORTIE_ERR_DATASTORE_CORRUPT', `The IPAM block at ${bKey} is not a block`, { key: bKey });
      if (!borrowing && block.affinity !== hostAffinity(req.node)) return [];
      if (borrowing && !block.affinity?.startsWith('host:') && block.affinity !== null) return [];
      const r = allocate(block, { count, handle: req.handle, ...(req.attributes ? { secondary: req.attributes } : {}) });
      if (r.ordinals.length === 0) return [];
      const cidr = block.cidr;
      const handle = adjustHandle(hkv ? asHandle(hkv.value) : null, cidr, r.ordinals.length)!;
      const ops: WriteOp[] = [{ op: 'update', key: bKey, value: r.block, revision: kv.revision }, handleOp(hKey, hkv ?? null, handle)!];
      try {
        const done = await this.store.commit(ops);
        this.remember(done.results[0]!);
        return r.ordinals.map((o) => ipOfOrdinal(r.block, o));
      } catch (e) {
        this.lastWritten.delete(bKey);
        if (!isRace(e)) throw e;
        hkv = await getOrNull(this.store, hKey);
      }
    }
    throw contention(`allocating in block ${formatCIDR(c)}`);
  }

  /** Claims a block for `node`: a free CIDR, else an empty block of another node held long enough. */
  private async claimNewBlock(node: string, pools: readonly Pool[]): Promise<boolean> {
    const existing = new Map((await this.allBlocks()).map((b) => [b.block.cidr, b] as const));
    for (const pool of pools) {
      for (const c of blockWalk(pool.cidr, pool.spec.blockSize, node)) {
        const key = formatCIDR(c);
        const b = existing.get(key);
        if (!b) {
          if (await this.claim(node, c)) return true;
        } else if (b.block.affinity === hostAffinity(node) && freeCount(b.block) > 0) {
          // Ours, with room, but not among our confirmed affinities: repair the affinity record.
          if (await this.claim(node, c)) return true;
        }
      }
    }
    const cutoff = this.now().getTime() - EMPTY_BLOCK_RECLAIM_AGE_MS;
    for (const { kv, block } of existing.values()) {
      const owner = affinityNode(block);
      const claimed = block.affinityClaimTime ? Date.parse(block.affinityClaimTime) : 0;
      if (owner === node || !isEmpty(block) || claimed > cutoff) continue;
      if (!pools.some((p) => cidrContainsIP(p.cidr, { version: 4, value: blockCidr(block).address }))) continue;
      if (await this.reclaim(node, kv, block)) return true;
    }
    return false;
  }

  /**
   * Calico's two-phase claim. 1: a pending affinity (an intent, owning nothing). 2: the block
   * created with our affinity and the affinity confirmed — one commit here, so a block never exists
   * without its confirmed affinity. Losing the race for the block withdraws the pending affinity.
   */
  private async claim(node: string, c: CIDR): Promise<boolean> {
    const aKey = affinityKey(node, c);
    const bKey = blockKey(c);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      let aff = await getOrNull(this.store, aKey);
      if (!aff) {
        try { aff = await this.store.create(aKey, { state: 'pending', deleted: false }); } catch (e) { if (isRace(e)) continue; throw e; }
      }
      const confirm: WriteOp = { op: 'update', key: aKey, value: { state: 'confirmed', deleted: false }, revision: aff.revision };
      try {
        await this.store.commit([{ op: 'create', key: bKey, value: newBlock(c, hostAffinity(node), this.now().toISOString()) }, confirm]);
        return true;
      } catch (e) {
        if (!isRace(e)) throw e;
      }
      const b = await getOrNull(this.store, bKey);
      const block = b ? asBlock(b.value) : null;
      if (block && block.affinity === hostAffinity(node)) {
        try { await this.store.commit([confirm]); return true; } catch (e) { if (isRace(e)) continue; throw e; }
      }
      if (block) {
        // Another node got it first: withdraw our intent.
        try { await this.store.delete(aKey, aff.revision); } catch (e) { if (!isRace(e)) throw e; }
        return false;
      }
    }
    throw contention(`claiming block ${formatCIDR(c)}`);
  }

  /** Takes over another node's empty block: the block, their affinity and ours in one commit. */
  private async reclaim(node: string, kv: KV, block: AllocationBlock): Promise<boolean> {
    const c = blockCidr(block);
    const ops: WriteOp[] = [
      { op: 'update', key: kv.key, value: { ...newBlock(c, hostAffinity(node), this.now().toISOString()), sequenceNumber: block.sequenceNumber + 1 }, revision: kv.revision },
    ];
    const owner = affinityNode(block);
    if (owner) {
      const theirs = await getOrNull(this.store, affinityKey(owner, c));
      if (theirs) ops.push({ op: 'delete', key: theirs.key, revision: theirs.revision });
    }
    const mine = await getOrNull(this.store, affinityKey(node, c));
    ops.push(mine ? { op: 'update', key: mine.key, value: { state: 'confirmed', deleted: false }, revision: mine.revision }
      : { op: 'create', key: affinityKey(node, c), value: { state: 'confirmed', deleted: false } });
    this.lastWritten.delete(kv.key);
    try { await this.store.commit(ops); return true; } catch (e) { if (isRace(e)) return false; throw e; }
  }

  private async borrow(req: AssignRequest, pools: readonly Pool[], count: number): Promise<string[]> {
    const candidates = (await this.allBlocks())
      .filter(({ block }) => block.affinity !== hostAffinity(req.node) && freeCount(block) > 0)
      .filter(({ block }) => pools.some((p) => cidrContainsIP(p.cidr, { version: 4, value: blockCidr(block).address })));
    // Random order, so that borrowing nodes spread over the donors instead of all hitting one.
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    const got: string[] = [];
    for (const { block } of candidates) {
      if (got.length >= count) break;
      got.push(...await this.allocateIn(blockCidr(block), req, count - got.length, true));
    }
    return got;
  }

  // ---- release ------------------------------------------------------------------------------

  /** Releases every address of `handle`; [] (not an error) when it holds none. */
  async releaseByHandle(handle: string): Promise<string[]> {
    const hKey = handleKey(handle);
    const released: string[] = [];
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const hkv = await getOrNull(this.store, hKey);
      const h = hkv ? asHandle(hkv.value) : null;
      if (!hkv || !h) return released;
      const cidrText = Object.keys(h.block)[0];
      if (cidrText === undefined) {
        try { await this.store.delete(hKey, hkv.revision); } catch (e) { if (!isRace(e)) throw e; }
        continue;
      }
      const c = parseCIDR(cidrText);
      const bkv = c ? await getOrNull(this.store, blockKey(c)) : null;
      const block = bkv ? asBlock(bkv.value) : null;
      const ops: WriteOp[] = [];
      let freed: string[] = [];
      if (bkv && block) {
        const r = releaseHandle(block, handle);
        freed = r.ordinals.map((o) => ipOfOrdinal(block, o));
        if (r.ordinals.length > 0) ops.push({ op: 'update', key: bkv.key, value: r.block, revision: bkv.revision });
      }
      // The handle forgets this block whatever the block said (a missing block holds nothing).
      const next = adjustHandle(h, cidrText, -(h.block[cidrText] ?? 0));
      ops.push(handleOp(hKey, hkv, next)!);
      if (bkv) this.lastWritten.delete(bkv.key);
      try {
        await this.store.commit(ops);
        released.push(...freed);
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
    throw contention(`releasing handle ${handle}`);
  }

  /** The block an address belongs to: from the pools' block size, else by scanning blocks. */
  private async blockOf(ip: string): Promise<CIDR | null> {
    const a = parseIP(ip);
    if (!a) throw new TortieError('TORTIE_ERR_CLI_USAGE', `"${ip}" is not an IP address`);
    for (const p of await this.allPools()) {
      if (cidrContainsIP(p.cidr, a)) return blockContaining(a.value, a.version, p.spec.blockSize);
    }
    const hit = (await this.allBlocks()).find(({ block }) => cidrContainsIP(blockCidr(block), a));
    return hit ? blockCidr(hit.block) : null;
  }

  /** Releases addresses (idempotent). Returns, per address, whether this call freed it. */
  async releaseIPs(reqs: readonly ReleaseRequest[]): Promise<Array<{ ip: string; released: boolean; reason?: string }>> {
    const out: Array<{ ip: string; released: boolean; reason?: string }> = [];
    for (const r of reqs) {
      const c = await this.blockOf(r.ip);
      if (!c) { out.push({ ip: r.ip, released: false, reason: 'not in any block' }); continue; }
      out.push(await this.releaseOne(c, r));
    }
    return out;
  }

  private async releaseOne(c: CIDR, r: ReleaseRequest): Promise<{ ip: string; released: boolean; reason?: string }> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const bkv = await getOrNull(this.store, blockKey(c));
      const block = bkv ? asBlock(bkv.value) : null;
      if (!bkv || !block) return { ip: r.ip, released: false, reason: 'not assigned' };
      const ord = ordinalOfIP(block, r.ip)!;
      const res = release(block, [{ ordinal: ord, ...(r.sequenceNumber !== undefined ? { sequenceNumber: r.sequenceNumber } : {}) }]);
      const o = res.outcomes[0]!;
      if (!o.released) return { ip: r.ip, released: false, reason: o.reason === 'not-allocated' ? 'not assigned' : 'reassigned since (sequence number differs)' };
      const ops: WriteOp[] = [{ op: 'update', key: bkv.key, value: res.block, revision: bkv.revision }];
      if (o.handle) {
        const hkv = await getOrNull(this.store, handleKey(o.handle));
        const h = hkv ? asHandle(hkv.value) : null;
        if (hkv && h) ops.push(handleOp(hkv.key, hkv, adjustHandle(h, block.cidr, -1))!);
      }
      this.lastWritten.delete(bkv.key);
      try { await this.store.commit(ops); return { ip: r.ip, released: true }; } catch (e) { if (!isRace(e)) throw e; }
    }
    throw contention(`releasing ${r.ip}`);
  }

  /** The addresses `handle` holds now. */
  async ipsOfHandle(handle: string): Promise<string[]> {
    const hkv = await getOrNull(this.store, handleKey(handle));
    const h = hkv ? asHandle(hkv.value) : null;
    if (!h) return [];
    const out: string[] = [];
    for (const cidrText of Object.keys(h.block)) {
      const c = parseCIDR(cidrText);
      const bkv = c ? await getOrNull(this.store, blockKey(c)) : null;
      const block = bkv ? asBlock(bkv.value) : null;
      if (block) out.push(...ordinalsOfHandle(block, handle).map((o) => ipOfOrdinal(block, o)));
    }
    return out;
  }

  /** Gives up `node`'s affinity for an empty block, deleting the block (both in one commit). */
  async releaseEmptyBlock(node: string, c: CIDR): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const [bkv, akv] = await Promise.all([getOrNull(this.store, blockKey(c)), getOrNull(this.store, affinityKey(node, c))]);
      const block = bkv ? asBlock(bkv.value) : null;
      if (block && !isEmpty(block)) return false;
      const ops: WriteOp[] = [];
      if (bkv && block?.affinity === hostAffinity(node)) ops.push({ op: 'delete', key: bkv.key, revision: bkv.revision });
      if (akv) ops.push({ op: 'delete', key: akv.key, revision: akv.revision });
      if (ops.length === 0) return false;
      this.lastWritten.delete(blockKey(c));
      if (this.lastWithRoom.get(node) === formatCIDR(c)) this.lastWithRoom.delete(node);
      try { await this.store.commit(ops); return true; } catch (e) { if (!isRace(e)) throw e; }
    }
    throw contention(`releasing block ${formatCIDR(c)}`);
  }
}
