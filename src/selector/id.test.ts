import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSelector, selectorId } from './index.js';

// The expected UIDs are the ones Calico's own parser_test.go asserts.
test("IDs are Calico's UniqueID of the canonical form", () => {
  const cases: Array<[string, string]> = [
    ['', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
    [' all() ', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
    [' (all() )', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
    ['! (has( b)||! has(a ))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
    ['! (a == "b"&&! c != "d")', 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w'],
  ];
  for (const [text, id] of cases) assert.equal(selectorId(parseSelector(text)), id, text);
});

test('IDs are "s:" and 38 base64url characters, equal exactly when the canonical forms are', () => {
  const a = selectorId(parseSelector('a in {"y","x"} && has(b)'));
  assert.match(a, /^s:[A-Za-z0-9_-]{38}$/);
  assert.equal(selectorId(parseSelector("(a in {'x', 'y', 'x'})&&has( b )")), a);
  assert.notEqual(selectorId(parseSelector('has(b) && a in {"x","y"}')), a); // operand order counts
  assert.notEqual(selectorId(parseSelector('a == "é"')), selectorId(parseSelector('a == "e"')));
});
