import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datastoreProblems, membersStatus, SLOW_DATASTORE_P99_MS } from './status.js';

const report = (calls: { p50Ms: number; p99Ms: number; failedAttempts: number; failedCalls: number }) => ({
  inUse: 'http://b:2379',
  members: [{ endpoint: 'http://a:2379', inUse: false, failure: { error: 'connection refused', at: Date.UTC(2026, 11, 7) }, lastOk: 5 }, { endpoint: 'http://b:2379', inUse: true, lastOk: 9 }],
  calls: { calls: 120, ...calls },
});

test('a healthy link is no problem; retried attempts alone are shown, not reported', () => {
  assert.deepEqual(datastoreProblems(report({ p50Ms: 3, p99Ms: 40, failedAttempts: 2, failedCalls: 0 })), []);
  assert.deepEqual(datastoreProblems(undefined), []);
});

test('failed calls and a slow 99th percentile are problems, in words', () => {
  const p = datastoreProblems(report({ p50Ms: 700, p99Ms: SLOW_DATASTORE_P99_MS + 1, failedAttempts: 9, failedCalls: 2 }));
  assert.equal(p.length, 2);
  assert.match(p[0]!, /2 datastore call\(s\) failed in the last minute \(9 failed attempt/);
  assert.match(p[1]!, /slow: 99% of calls .* up to 1001 ms \(median 700 ms\)/);
});

test('the status keeps failures with their time, and drops success times (they change on every call)', () => {
  assert.deepEqual(membersStatus(report({ p50Ms: 1, p99Ms: 2, failedAttempts: 0, failedCalls: 0 })), {
    inUse: 'http://b:2379',
    failed: [{ endpoint: 'http://a:2379', error: 'connection refused', at: '2026-12-07T00:00:00.000Z' }],
    calls: { calls: 120, p50Ms: 1, p99Ms: 2, failedAttempts: 0, failedCalls: 0 },
  });
});
