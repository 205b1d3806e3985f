import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCIDR } from '../../lib/ip.js';
import {
  allocate, asBlock, blockProblems, freeCount, handleOf, ipOfOrdinal, isEmpty, newBlock, ordinalOfIP, ordinalsOfHandle, release,
  releaseHandle, type AllocationBlock,
} from './block.js';

const cidr = (s: string) => parseCIDR(s)!;

test('a new /26 has 64 free addresses handed out in order, and the JSON form is Calico\'s', () => {
  const b = newBlock(cidr('10.65.0.0/26'), 'host:node1', '2026-11-26T12:00:00Z');
  assert.equal(freeCount(b), 64);
  assert.deepEqual(Object.keys(b).sort(), ['affinity', 'affinityClaimTime', 'allocations', 'attributes', 'cidr', 'deleted', 'sequenceNumber', 'sequenceNumberForAllocation', 'strictAffinity', 'unallocated']);
  const { block, ordinals } = allocate(b, { count: 2, handle: 'k8s-pod-network.abc', secondary: { node: 'node1', pod: 'p' } });
  assert.deepEqual(ordinals, [0, 1]);
  assert.deepEqual(ordinals.map((o) => ipOfOrdinal(block, o)), ['10.65.0.0', '10.65.0.1']);
  assert.deepEqual(block.attributes, [{ handle_id: 'k8s-pod-network.abc', secondary: { node: 'node1', pod: 'p' } }]);
  assert.equal(block.sequenceNumber, 1);
  assert.deepEqual(block.sequenceNumberForAllocation, { 0: 1, 1: 1 });
  assert.equal(ordinalOfIP(block, '10.65.0.63'), 63);
  assert.equal(ordinalOfIP(block, '10.65.0.64'), null);
  assert.equal(freeCount(b), 64, 'the input block is not modified');
  assert.deepEqual(asBlock(JSON.parse(JSON.stringify(block))), block);
});

test('released addresses go to the back of the queue; reserved ones are skipped but stay free', () => {
  let b = newBlock(cidr('10.0.0.0/30'), null);
  b = allocate(b, { count: 4, handle: 'h' }).block;
  b = release(b, [{ ordinal: 1 }]).block;
  assert.deepEqual(b.unallocated, [1]);
  b = release(b, [{ ordinal: 0 }]).block;
  assert.deepEqual(b.unallocated, [1, 0]);
  const r = allocate(b, { count: 1, handle: 'x', reserved: (ip) => ip === '10.0.0.1' });
  assert.deepEqual(r.ordinals, [0]);
  assert.deepEqual(r.block.unallocated, [1]);
  assert.equal(allocate(r.block, { count: 1, handle: 'y', reserved: () => true }).ordinals.length, 0);
});

test('a release with a stale sequence number is refused (no ABA reuse)', () => {
  let b = newBlock(cidr('10.0.0.0/30'), null);
  const a = allocate(b, { count: 1, handle: 'first' });
  const seq = a.block.sequenceNumberForAllocation['0'];
  b = release(a.block, [{ ordinal: 0 }]).block;
  // The address is handed out again (after the others) to someone else...
  b = allocate(b, { count: 4, handle: 'second' }).block;
  assert.equal(handleOf(b, 0), 'second');
  // ...and a late release by the first owner must not free it.
  const late = release(b, [{ ordinal: 0, sequenceNumber: seq! }]);
  assert.deepEqual(late.outcomes, [{ ordinal: 0, released: false, reason: 'sequence-mismatch' }]);
  assert.equal(handleOf(late.block, 0), 'second');
  assert.deepEqual(release(newBlock(cidr('10.0.0.0/30'), null), [{ ordinal: 2 }]).outcomes, [{ ordinal: 2, released: false, reason: 'not-allocated' }]);
});

test('blockProblems finds lost, doubly-held and dangling addresses', () => {
  const b = allocate(newBlock(cidr('10.0.0.0/30'), null), { count: 1, handle: 'h' }).block;
  assert.deepEqual(blockProblems(b), []);
  assert.match(blockProblems({ ...b, unallocated: [1, 2] }).join(), /10\.0\.0\.3 is neither allocated nor free/);
  assert.match(blockProblems({ ...b, unallocated: [0, 1, 2, 3] }).join(), /10\.0\.0\.0 is both allocated and free/);
  assert.match(blockProblems({ ...b, attributes: [] }).join(), /missing attribute 0/);
});

// Property: any sequence of allocate / release / release-by-handle keeps every address either free
// or held by exactly one handle, and never loses one — checked against a plain model.
type Op =
  | { kind: 'alloc'; count: number; handle: string }
  | { kind: 'release'; ordinals: number[]; stale: boolean }
  | { kind: 'releaseHandle'; handle: string };

const handles = ['a', 'b', 'c', 'd'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('alloc' as const), count: fc.integer({ min: 1, max: 6 }), handle: fc.constantFrom(...handles) }),
  fc.record({ kind: fc.constant('release' as const), ordinals: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 5 }), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('releaseHandle' as const), handle: fc.constantFrom(...handles) }),
);

test('property: allocate/release sequences keep every address free or owned by exactly one handle', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
    let b: AllocationBlock = newBlock(cidr('10.1.2.0/28'), 'host:n');
    const model = new Map<number, string>(); // ordinal → handle
    for (const op of ops) {
      if (op.kind === 'alloc') {
        const before = new Set(b.unallocated);
        const r = allocate(b, { count: op.count, handle: op.handle });
        assert.equal(r.ordinals.length, Math.min(op.count, before.size));
        for (const o of r.ordinals) { assert.ok(before.has(o), `ordinal ${o} was not free`); model.set(o, op.handle); }
        b = r.block;
      } else if (op.kind === 'release') {
        const r = release(b, op.ordinals.map((o) => ({ ordinal: o, ...(op.stale ? { sequenceNumber: -1 } : {}) })));
        for (const out of r.outcomes) {
          if (out.released) { assert.ok(!op.stale); assert.equal(out.handle, model.get(out.ordinal)); model.delete(out.ordinal); }
          else assert.ok(op.stale ? true : !model.has(out.ordinal));
        }
        b = r.block;
      } else {
        const r = releaseHandle(b, op.handle);
        assert.deepEqual(r.ordinals.sort((x, y) => x - y), [...model].filter(([, h]) => h === op.handle).map(([o]) => o).sort((x, y) => x - y));
        for (const o of r.ordinals) model.delete(o);
        b = r.block;
      }
      assert.deepEqual(blockProblems(b), []);
      for (let o = 0; o < 16; o++) assert.equal(handleOf(b, o), model.get(o) ?? null, `ordinal ${o}`);
      for (const h of handles) assert.equal(ordinalsOfHandle(b, h).length, [...model.values()].filter((x) => x === h).length);
      assert.equal(freeCount(b) + model.size, 16);
    }
    assert.equal(isEmpty(b), model.size === 0);
  }), { numRuns: 500 });
});
