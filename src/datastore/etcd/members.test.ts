import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemberSet } from './members.js';

const A = 'http://a:2379', B = 'http://b:2379', C = 'http://c:2379';

test('sticks to the first member while it works', () => {
  const m = new MemberSet([A, B, C], 5000);
  m.succeeded(A, 0);
  assert.equal(m.inUse, A);
  assert.deepEqual(m.order(0), [A, B, C]);
});

test('moves to the next member that has not failed recently, and tries failed ones last, longest-failed first', () => {
  const m = new MemberSet([A, B, C], 5000);
  assert.equal(m.failed(A, 'connection refused', 1000), B);
  assert.deepEqual(m.order(1000), [B, C, A]);
  assert.equal(m.failed(B, 'no leader', 2000), C);
  assert.deepEqual(m.order(2000), [C, A, B], 'A failed longer ago than B');
  // All three failed: back to the one that failed longest ago — it has had the most time.
  assert.equal(m.failed(C, 'deadline', 3000), A);
  // Past the cool-down a failure no longer counts against a member.
  assert.deepEqual(m.order(9000), [A, B, C]);
});

test('a failure of a member not in use does not move the client; a success clears the failure', () => {
  const m = new MemberSet([A, B, C], 5000);
  assert.equal(m.failed(C, 'x', 0), A);
  assert.deepEqual(m.order(1), [A, B, C]);
  m.succeeded(C, 2);
  const r = m.report();
  assert.equal(r.inUse, A);
  assert.deepEqual(r.members.map((x) => [x.endpoint, x.inUse, x.failure?.error ?? null, x.lastOk ?? null]), [[A, true, null, null], [B, false, null, null], [C, false, null, 2]]);
});

test('the report names the member in use and each failure with its time', () => {
  const m = new MemberSet([A, B], 5000);
  m.failed(A, 'connection refused', 42);
  assert.deepEqual(m.report(), { inUse: B, members: [{ endpoint: A, inUse: false, failure: { error: 'connection refused', at: 42 } }, { endpoint: B, inUse: true }] });
});

test('one endpoint: stays on it whatever happens', () => {
  const m = new MemberSet([A], 5000);
  assert.equal(m.failed(A, 'x', 0), A);
  assert.deepEqual(m.order(1), [A]);
  assert.throws(() => new MemberSet([]));
});
