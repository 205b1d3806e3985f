import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matches, NAMESPACE_LABEL, parseSelector } from './index.js';

type L = Record<string, string>;

// Calico's selectorTests (libcalico-go/lib/selector/parser/parser_test.go): selector, label sets
// it must match, label sets it must not.
const CALICO: ReadonlyArray<readonly [string, L[], L[]]> = [
  ['a == "b"', [{ a: 'b' }, { a: 'b', c: 'd' }], [{}, { a: 'c' }, { c: 'd' }]],
  ['a == "b" && c == "d"', [{ a: 'b', c: 'd' }], [{}, { a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }]],
  ['a == "b" || c == "d"', [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }], [{}, { a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }]],
  [`a in {"'", '"', "c"}`, [{ a: 'c' }, { a: '"' }, { a: "'" }], [{}, { a: 'e' }]],
  [`a not in {"'", '"', "c"}`, [{}, { a: 'e' }], [{ a: 'c' }, { a: '"' }, { a: "'" }]],
  ["a == 'a'", [{ a: 'a' }], [{ a: 'b' }, {}]],
  ['a != "b"', [{ a: 'a' }], []],
  ['a != "a"', [{}], [{ a: 'a' }]],
  ['a contains "a"', [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { b: 'aaa' }]],
  ['a starts with "a"', [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }]],
  ['a ends with "a"', [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }]],
  ['a in {"a"}', [{ a: 'a' }], [{ a: 'b' }]],
  ['!a in {"a"}', [{ a: 'b' }], []],
  ['a in {"a", "b"}', [{ a: 'a' }, { a: 'b' }], [{ a: 'c' }]],
  ['a not in {"d", "e"}', [{ a: 'a' }], []],
  ['a not in {"a"}', [], [{ a: 'a' }]],
  ['has(a)', [{ a: 'b' }], []],
  ['has(b)', [], [{ a: 'b' }]],
  ['!has(a)', [{ b: 'b' }], [{ a: 'b' }]],
  ['!!has(b)', [], [{ a: 'b' }]],
  ['! has(a)', [], [{ a: 'b' }]],
  ['!!! has(a)', [], [{ a: 'b' }]],
  ['!! ! has(a)', [], [{ a: 'b' }]],
  ['! !!has(a)', [], [{ a: 'b' }]],
  ['', [{}, { a: 'b' }], []],
  [' ', [{}], []],
  [' all()', [{}, { a: 'b' }], []],
  ["a == 'a1' && b == 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a == 'a1' && b != 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && !b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["!a == 'a1' && b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ['has(a) && !has(b)', [{ a: 'a' }], []],
  ['!(!has(a) || has(b))', [{ a: 'a' }], []],
  ['!(has(b) || !has(a))', [{ a: 'a' }], []],
  ["a == 'a1' || b != 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a != 'a1' || b != 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["! a == 'a1' || ! b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
];

test("evaluates Calico's own examples", () => {
  for (const [text, yes, no] of CALICO) {
    const sel = parseSelector(text);
    for (const l of yes) assert.equal(matches(sel, l), true, `${text} should match ${JSON.stringify(l)}`);
    for (const l of no) assert.equal(matches(sel, l), false, `${text} should not match ${JSON.stringify(l)}`);
  }
});

test('a missing label: == in contains starts/ends with has are false; != and not in are true', () => {
  const none = { other: 'x' };
  const cases: Array<[string, boolean]> = [
    ['a == "x"', false], ['a in {"x"}', false], ['a in {}', false], ['a contains ""', false],
    ['a starts with ""', false], ['a ends with ""', false], ['has(a)', false],
    ['a != "x"', true], ['a not in {"x"}', true], ['a not in {}', true],
  ];
  for (const [text, want] of cases) assert.equal(matches(parseSelector(text), none), want, text);
});

test('an empty label value is present, and the empty string is in every value', () => {
  const l = { a: '' };
  assert.equal(matches(parseSelector('has(a)'), l), true);
  assert.equal(matches(parseSelector('a == ""'), l), true);
  assert.equal(matches(parseSelector('a contains ""'), l), true);
  assert.equal(matches(parseSelector('a != ""'), l), false);
});

test('comparisons are exact and case-sensitive', () => {
  assert.equal(matches(parseSelector('a == "X"'), { a: 'x' }), false);
  assert.equal(matches(parseSelector('a contains "bc"'), { a: 'abcd' }), true);
  assert.equal(matches(parseSelector('a starts with "bc"'), { a: 'abcd' }), false);
  assert.equal(matches(parseSelector('a ends with "cd"'), { a: 'abcd' }), true);
});

test('labels may be a Map as well as a plain object', () => {
  const sel = parseSelector('app == "web" && !has(debug)');
  assert.equal(matches(sel, new Map([['app', 'web']])), true);
  assert.equal(matches(sel, new Map([['app', 'web'], ['debug', '']])), false);
});

test("inherited object properties are not labels", () => {
  assert.equal(matches(parseSelector('has(constructor)'), {}), false);
  assert.equal(matches(parseSelector('has(toString)'), {}), false);
  assert.equal(matches(parseSelector('__proto__ != "x"'), {}), true);
});

test('global() matches only labels without the namespace label; all() matches everything', () => {
  const global = parseSelector('global()');
  const all = parseSelector('all()');
  assert.equal(matches(global, {}), true);
  assert.equal(matches(global, { app: 'db' }), true);
  assert.equal(matches(global, { [NAMESPACE_LABEL]: 'default' }), false);
  assert.equal(matches(all, { [NAMESPACE_LABEL]: 'default' }), true);
  assert.equal(matches(all, {}), true);
});
