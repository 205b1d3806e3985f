import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Selector } from './ast.js';
import { parseSelector, printSelector } from './index.js';

// Calico's canonicalisationTests (libcalico-go/lib/selector/parser/parser_test.go), then the
// renderings its Visitor tests expect (without the visitor's label prefix), then our own.
const CANONICAL: ReadonlyArray<readonly [input: string, canonical: string]> = [
  ['', 'all()'],
  [' all() ', 'all()'],
  [' (all() )', 'all()'],
  ['! (has( b)||! has(a ))', '!(has(b) || !has(a))'],
  ['! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")'],
  [`a == "'"`, `a == "'"`],
  [`a == '"'`, `a == '"'`],
  [`a contains '"'`, `a contains '"'`],
  [`a contains "'"`, `a contains "'"`],
  [`a startswith '"'`, `a starts with '"'`],
  [`a endswith "'"`, `a ends with "'"`],
  [`a!='"'`, `a != '"'`],
  ['a in {"d"}', 'a in {"d"}'],
  ['a in {"a", "b"}', 'a in {"a", "b"}'],
  ['a in {"d", "a", "b"}', 'a in {"a", "b", "d"}'],
  ['a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}'],
  ['a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'],
  ["k == 'v'", 'k == "v"'],
  ["k starts with 'v'", 'k starts with "v"'],
  ["k == 'v' && x == 'y'", '(k == "v" && x == "y")'],
  ["k == 'v' || has(x)", '(k == "v" || has(x))'],
  ["!(k == 'v')", '!k == "v"'],
  ["k not in {'v'}", 'k not in {"v"}'],
  ["!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))", '!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})'],
  // Our own: grouping is kept, chains are flat, sets may be empty, spacing is normalised.
  ['has(a)&&has(b)&&has(c)', '(has(a) && has(b) && has(c))'],
  ['has(a) && (has(b) && has(c))', '(has(a) && (has(b) && has(c)))'],
  ['has(a) || has(b) && has(c)', '(has(a) || (has(b) && has(c)))'],
  ['a notin{}', 'a not in {}'],
  ["a in {'x\"y', \"it's\"}", `a in {"it's", 'x"y'}`],
  ['\tglobal( )', 'global()'],
  ['!!!has(a)', '!has(a)'],
  // `!(!x)` keeps both: Calico collapses only a run of `!`, so this prints as `!!x`, which
  // itself re-parses to `x`. Calico's canonical form has the same wrinkle; we match it.
  ['!(!has(a))', '!!has(a)'],
];

test("prints Calico's canonical form", () => {
  for (const [input, canonical] of CANONICAL) {
    const printed = printSelector(parseSelector(input));
    assert.equal(printed, canonical, input);
    if (input !== '!(!has(a))') assert.equal(printSelector(parseSelector(printed)), printed, `${input} round trip`);
  }
});

test('hand-built sets print sorted and without duplicates', () => {
  const sel: Selector = { kind: 'notIn', label: 'a', values: ['c', 'a', 'c'] };
  assert.equal(printSelector(sel), 'a not in {"a", "c"}');
});

test('a value holding " is quoted with \'', () => {
  assert.equal(printSelector({ kind: 'eq', label: 'a', value: 'say "hi"' }), `a == 'say "hi"'`);
  assert.equal(printSelector({ kind: 'ne', label: 'a', value: '' }), 'a != ""');
});
