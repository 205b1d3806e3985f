import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWithPercent, goG5, goRound0 } from './go-format.js';

test('%.5g as Go prints it: no padding zeros, five significant digits, e+NN, ties to even', () => {
  assert.equal(goG5(0), '0');
  assert.equal(goG5(64), '64');
  assert.equal(goG5(65536), '65536');
  assert.equal(goG5(1048576), '1.0486e+06');
  assert.equal(goG5(1_000_000), '1e+06');
  assert.equal(goG5(16777216), '1.6777e+07');
  assert.equal(goG5(2n ** 64n), '1.8447e+19');
  assert.equal(goG5(1234550), '1.2346e+06');
  assert.equal(goG5(1234450), '1.2344e+06');
  assert.equal(goG5(9999950), '1e+07');
});

test('%.f rounds ties to even, as Go does', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 12.5, 87.5, 17.1875, 0.01].map(goRound0), ['0', '2', '2', '12', '88', '17', '0']);
});

test('"N (P%)" cells match calicoctl ipam show output', () => {
  // From calicoctl 3.25 output: a /16 pool with 7 addresses in use, and /26 blocks.
  assert.equal(countWithPercent(7, 65536), '7 (0%)');
  assert.equal(countWithPercent(65529, 65536), '65529 (100%)');
  assert.equal(countWithPercent(11, 64), '11 (17%)');
  assert.equal(countWithPercent(53, 64), '53 (83%)');
  assert.equal(countWithPercent(4, 64), '4 (6%)');
  assert.equal(countWithPercent(60, 64), '60 (94%)');
});
