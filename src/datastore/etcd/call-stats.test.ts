import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallStats } from './call-stats.js';

test('percentiles, retries and failures over the last minute only', () => {
  const s = new CallStats(60_000);
  for (let i = 1; i <= 100; i++) s.call(1000 + i, i, true);
  s.call(2000, 5000, false);
  s.attemptFailed(1500); s.attemptFailed(1600);
  assert.deepEqual(s.health(10_000), { calls: 101, p50Ms: 51, p99Ms: 100, failedAttempts: 2, failedCalls: 1 });
  // A minute later only what happened since counts.
  s.call(70_000, 7, true);
  assert.deepEqual(s.health(65_000 + 1600), { calls: 1, p50Ms: 7, p99Ms: 7, failedAttempts: 0, failedCalls: 0 });
  assert.deepEqual(new CallStats().health(0), { calls: 0, p50Ms: 0, p99Ms: 0, failedAttempts: 0, failedCalls: 0 });
});
