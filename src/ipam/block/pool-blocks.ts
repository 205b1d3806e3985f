// Walking a pool's block CIDRs: how many there are, the i-th one, and where a node starts looking
// (seeded by its name, so that nodes claiming blocks at the same time spread out instead of racing
// for the first free one — Calico seeds its walk with FNV-32 of the hostname too).

import { bitsOf, cidrSize, networkOf, type CIDR } from '../../lib/ip.js';

export function blockCount(pool: CIDR, blockSize: number): number {
  return Number(cidrSize(pool) / (1n << BigInt(bitsOf(pool.version) - blockSize)));
}

export function nthBlock(pool: CIDR, blockSize: number, i: number): CIDR {
  const step = 1n << BigInt(bitsOf(pool.version) - blockSize);
  return { version: pool.version, address: networkOf(pool) + BigInt(i) * step, prefix: blockSize };
}

/** FNV-1 32-bit hash (the variant Go's hash/fnv New32 computes). */
export function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h;
}

/** The block indexes of a pool in the order node `node` tries them: from its seeded start, wrapping. */
export function* blockWalk(pool: CIDR, blockSize: number, node: string): Generator<CIDR> {
  const n = blockCount(pool, blockSize);
  const start = fnv32(node) % n;
  for (let k = 0; k < n; k++) yield nthBlock(pool, blockSize, (start + k) % n);
}

/** The block of size `blockSize` that contains `address`. */
export function blockContaining(address: bigint, version: 4 | 6, blockSize: number): CIDR {
  const host = BigInt(bitsOf(version) - blockSize);
  return { version, address: (address >> host) << host, prefix: blockSize };
}
