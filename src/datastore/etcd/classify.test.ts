import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFailure, shortFailure } from './classify.js';

// etcd3 error classes keep the gRPC code only in the message; these are messages as seen from
// etcd 3.4 through etcd3 1.1 and grpc-js.
class GRPCUnavailableError extends Error {}
class GRPCDeadlineExceededError extends Error {}

test('a request that never reached a member is unsent: any call may go elsewhere as it is', () => {
  for (const m of [
    '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379 (2026-12-07T22:00:00.000Z)',
    '14 UNAVAILABLE: No connection established. Last error: connect ENOENT /run/etcd/localhost:2379',
    '14 UNAVAILABLE: Name resolution failed for target dns:etcd-0:2379',
  ]) assert.equal(classifyFailure(new GRPCUnavailableError(m)), 'unsent', m);
});

test('a member failing while it had the request: move on, and a write may have been applied', () => {
  for (const m of [
    '14 UNAVAILABLE: Connection dropped',
    '14 UNAVAILABLE: etcdserver: no leader',
    '14 UNAVAILABLE: etcdserver: leader changed',
    '14 UNAVAILABLE: etcdserver: request timed out',
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 4.001s',
    '1 CANCELLED: Call cancelled',
    '13 INTERNAL: Received RST_STREAM with code 2',
  ]) assert.equal(classifyFailure(new Error(m)), 'member', m);
  assert.equal(classifyFailure(new GRPCDeadlineExceededError('Deadline exceeded')), 'member');
});

test('out of space and refused requests stop the call', () => {
  assert.equal(classifyFailure(new Error('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded')), 'full');
  assert.equal(classifyFailure(new Error('3 INVALID_ARGUMENT: etcdserver: request is too large')), 'fatal');
  assert.equal(classifyFailure(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted')), 'fatal');
  assert.equal(classifyFailure(new Error('7 PERMISSION_DENIED: etcdserver: permission denied')), 'fatal');
  assert.equal(classifyFailure(new TypeError('x is not a function')), 'fatal');
});

test('failures in a few words', () => {
  assert.equal(shortFailure(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379 (t)')), 'connection refused');
  assert.equal(shortFailure(new Error('14 UNAVAILABLE: etcdserver: no leader')), 'etcdserver: no leader');
  assert.equal(shortFailure(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 3.654s,LB pick: 0.002s,remote_addr=127.0.0.1:40957')), 'no answer in 3.7 s');
  assert.equal(shortFailure(new Error(`13 INTERNAL: ${'x'.repeat(300)}`)).length, 158);
});
