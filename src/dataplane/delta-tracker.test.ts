import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DeltaTracker, deepEqual, type Pending } from './delta-tracker.js';

/** A dataplane as a plain map, written by applying a Pending the way an adapter would. */
function writer(plane: Map<string, number>, log: string[] = []): (p: Pending<string, number>) => Promise<void> {
  return async (p) => {
    for (const [k] of p.deletes) { plane.delete(k); log.push(`del ${k}`); }
    for (const [k, v] of p.upserts) { plane.set(k, v); log.push(`set ${k}=${v}`); }
  };
}

describe('DeltaTracker', () => {
  it('writes only the difference between desired and a dump', async () => {
    const t = new DeltaTracker<string, number>();
    t.resync([['a', 1], ['b', 2], ['c', 3]]);
    t.replaceDesired([['a', 1], ['b', 20], ['d', 4]]);
    assert.deepEqual(t.pending(), { upserts: [['b', 20], ['d', 4]], deletes: [['c', 3]] });
    const plane = new Map([['a', 1], ['b', 2], ['c', 3]]);
    const log: string[] = [];
    await t.apply(writer(plane, log));
    assert.deepEqual(log, ['del c', 'set b=20', 'set d=4']);
    assert.deepEqual([...plane].sort(), [['a', 1], ['b', 20], ['d', 4]]);
    assert.ok(t.inSync);
    log.length = 0;
    await t.apply(writer(plane, log));
    assert.deepEqual(log, [], 'a second apply writes nothing');
  });

  it('repairs drift found by a resync, and nothing else', async () => {
    const t = new DeltaTracker<string, number>();
    t.replaceDesired([['a', 1], ['b', 2]]);
    const plane = new Map<string, number>();
    await t.apply(writer(plane));
    plane.delete('a'); plane.set('b', 99); plane.set('x', 7); // someone edits the kernel
    t.resync(plane);
    const log: string[] = [];
    await t.apply(writer(plane, log));
    assert.deepEqual(log, ['del x', 'set a=1', 'set b=2']);
  });

  it('records nothing when the write fails, so the next apply retries all of it', async () => {
    const t = new DeltaTracker<string, number>();
    t.replaceDesired([['a', 1], ['b', 2]]);
    await assert.rejects(t.apply(async () => { throw new Error('boom'); }), /boom/);
    assert.equal(t.pending().upserts.length, 2);
    const plane = new Map<string, number>();
    await t.apply(writer(plane));
    assert.deepEqual([...plane].sort(), [['a', 1], ['b', 2]]);
  });

  it('keeps changes made while a write is in flight pending', async () => {
    const t = new DeltaTracker<string, number>();
    t.resync([['gone', 0]]);
    t.replaceDesired([['a', 1], ['b', 2]]);
    const plane = new Map([['gone', 0]]);
    await t.apply(async (p) => {
      await writer(plane)(p);
      t.setDesired('a', 10);     // changed
      t.deleteDesired('b');      // removed
      t.setDesired('gone', 5);   // re-added after its delete was sent
    });
    assert.deepEqual(t.pending(), { upserts: [['a', 10], ['gone', 5]], deletes: [['b', 2]] });
    await t.apply(writer(plane));
    assert.deepEqual([...plane].sort(), [['a', 10], ['gone', 5]]);
    assert.ok(t.inSync);
  });

  it('uses the equality it is given (desired first, actual second)', () => {
    const t = new DeltaTracker<string, { v: number; extra?: string }>({ equal: (d, a) => d.v === a.v });
    t.resync([['a', { v: 1, extra: 'kernel detail' }]]);
    t.setDesired('a', { v: 1 });
    assert.ok(t.inSync);
  });

  it('deepEqual ignores undefined fields and compares arrays in order', () => {
    assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!deepEqual([1, 2], [2, 1]));
    assert.ok(deepEqual({ x: [{ y: 'z' }] }, { x: [{ y: 'z' }] }));
    assert.ok(!deepEqual({ a: 1 }, { a: '1' }));
  });

  it('property: from any desired and actual, apply leaves the dataplane equal to desired — also after drift, failures and concurrent edits', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
    const state = fc.dictionary(key, fc.integer({ min: 0, max: 3 }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), k: key, v: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('del' as const), k: key }),
      fc.record({ kind: fc.constant('drift' as const), k: key, v: fc.option(fc.integer({ min: 0, max: 3 })) }),
      fc.record({ kind: fc.constant('apply' as const), fail: fc.boolean(), midEdit: fc.option(fc.tuple(key, fc.integer({ min: 0, max: 3 }))) }),
      fc.record({ kind: fc.constant('resync' as const) }),
    );
    await fc.assert(fc.asyncProperty(state, state, fc.array(op, { maxLength: 30 }), async (desired0, actual0, ops) => {
      const plane = new Map(Object.entries(actual0));
      const t = new DeltaTracker<string, number>();
      t.resync(plane);
      t.replaceDesired(Object.entries(desired0));
      for (const o of ops) {
        if (o.kind === 'set') t.setDesired(o.k, o.v);
        else if (o.kind === 'del') t.deleteDesired(o.k);
        else if (o.kind === 'drift') { if (o.v === null) plane.delete(o.k); else plane.set(o.k, o.v); }
        else if (o.kind === 'resync') t.resync(plane);
        else {
          await t.apply(async (p) => {
            if (o.fail) { // a partial write, then an error (as a batch with one bad line does)
              const [first] = p.upserts;
              if (first) plane.set(first[0], first[1]);
              throw new Error('partial');
            }
            await writer(plane)(p);
            if (o.midEdit) t.setDesired(o.midEdit[0], o.midEdit[1]);
          }).catch(() => t.resync(plane));
        }
      }
      // The agent's loop: resync, then apply until in sync (at most twice).
      t.resync(plane);
      await t.apply(writer(plane));
      assert.ok(t.inSync);
      assert.deepEqual(Object.fromEntries([...plane].sort()), Object.fromEntries([...t.desired].sort()));
      // And the tracker's belief matches the truth, so a further apply writes nothing.
      const log: string[] = [];
      t.resync(plane);
      await t.apply(writer(plane, log));
      assert.deepEqual(log, []);
    }), { numRuns: 300 });
  });

  it('property: without drift, the incremental bookkeeping alone converges (no resync needed)', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const val = fc.integer({ min: 0, max: 2 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), k: key, v: val }),
      fc.record({ kind: fc.constant('del' as const), k: key }),
      fc.record({ kind: fc.constant('replace' as const), entries: fc.dictionary(key, val) }),
      fc.record({ kind: fc.constant('apply' as const), mid: fc.array(fc.tuple(key, fc.option(val)), { maxLength: 3 }) }),
    );
    await fc.assert(fc.asyncProperty(fc.dictionary(key, val), fc.array(op, { maxLength: 25 }), async (actual0, ops) => {
      const plane = new Map(Object.entries(actual0));
      const t = new DeltaTracker<string, number>();
      t.resync(plane);
      for (const o of ops) {
        if (o.kind === 'set') t.setDesired(o.k, o.v);
        else if (o.kind === 'del') t.deleteDesired(o.k);
        else if (o.kind === 'replace') t.replaceDesired(Object.entries(o.entries));
        else {
          await t.apply(async (p) => {
            await writer(plane)(p);
            for (const [k, v] of o.mid) { if (v === null) t.deleteDesired(k); else t.setDesired(k, v); }
          });
        }
      }
      await t.apply(writer(plane));
      assert.deepEqual(Object.fromEntries([...plane].sort()), Object.fromEntries([...t.desired].sort()));
      assert.deepEqual(Object.fromEntries([...t.actual].sort()), Object.fromEntries([...plane].sort()));
    }), { numRuns: 300 });
  });
});
