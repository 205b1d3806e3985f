// What IPAM holds, read straight from the store, and the audit every IPAM fault test ends with:
// each block well-formed, no address held twice, the handle records agreeing with the blocks.

import assert from 'node:assert/strict';
import type { Store } from '../../src/datastore/ports.js';
import { asBlock, asHandle, blockProblems, ipOfOrdinal, type AllocationBlock } from '../../src/ipam/block/index.js';

export async function ipamState(store: Store): Promise<{ blocks: AllocationBlock[]; handles: Map<string, Record<string, number>> }> {
  const blocks = (await store.list('/calico/ipam/v2/assignment/ipv4/block/')).items.map((kv) => asBlock(kv.value)!);
  const handles = new Map((await store.list('/calico/ipam/v2/handle/')).items.map((kv) => [kv.key.split('/').pop()!, asHandle(kv.value)!.block] as const));
  return { blocks, handles };
}

/** Every allocated address with its handle, and the blocks' consistency with the handle records. */
export function audit(state: Awaited<ReturnType<typeof ipamState>>): Map<string, { handle: string; block: AllocationBlock }> {
  const held = new Map<string, { handle: string; block: AllocationBlock }>();
  const counts = new Map<string, Record<string, number>>();
  for (const b of state.blocks) {
    assert.deepEqual(blockProblems(b), [], `block ${b.cidr}`);
    b.allocations.forEach((a, ord) => {
      if (a === null) return;
      const handle = b.attributes[a]!.handle_id!;
      const ip = ipOfOrdinal(b, ord);
      assert.ok(!held.has(ip), `${ip} held twice`);
      held.set(ip, { handle, block: b });
      const c = counts.get(handle) ?? {};
      c[b.cidr] = (c[b.cidr] ?? 0) + 1;
      counts.set(handle, c);
    });
  }
  assert.deepEqual(new Map([...state.handles].filter(([, v]) => Object.keys(v).length > 0)), counts, 'handle records agree with the blocks');
  return held;
}
