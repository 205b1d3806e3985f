import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Selector } from './ast.js';
import { SelectorSyntaxError } from './errors.js';
import { checkSelector, MAX_NESTING, parseSelector } from './index.js';

const has = (label: string): Selector => ({ kind: 'has', label });
const eq = (label: string, value: string): Selector => ({ kind: 'eq', label, value });

test('an empty or blank selector is all()', () => {
  for (const text of ['', ' ', '\t  ']) assert.deepEqual(parseSelector(text), { kind: 'all' });
});

test('each term parses to its node', () => {
  const cases: Array<[string, Selector]> = [
    ['all()', { kind: 'all' }],
    ['global()', { kind: 'global' }],
    ['has(a/b.c-d_e)', has('a/b.c-d_e')],
    ['a == "x"', eq('a', 'x')],
    ["a != 'x'", { kind: 'ne', label: 'a', value: 'x' }],
    ['a contains "x"', { kind: 'contains', label: 'a', value: 'x' }],
    ['a starts with "x"', { kind: 'startsWith', label: 'a', value: 'x' }],
    ['a ends with "x"', { kind: 'endsWith', label: 'a', value: 'x' }],
    ['a in {"y", "x"}', { kind: 'in', label: 'a', values: ['x', 'y'] }],
    ['a not in {"x"}', { kind: 'notIn', label: 'a', values: ['x'] }],
    ['a notin {"x"}', { kind: 'notIn', label: 'a', values: ['x'] }],
    ['a in {}', { kind: 'in', label: 'a', values: [] }],
    ['a in {"x",}', { kind: 'in', label: 'a', values: ['x'] }], // Calico accepts a trailing comma
    ['a == ""', eq('a', '')],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseSelector(text), want, text);
});

test('set values are sorted by code point and de-duplicated', () => {
  assert.deepEqual(parseSelector('a in {"b", "a", "b", "B"}'), { kind: 'in', label: 'a', values: ['B', 'a', 'b'] });
  // U+FF5E sorts before U+1F600 by code point, though its UTF-16 unit 0xFF5E sorts after 0xD83D.
  assert.deepEqual(parseSelector('a in {"😀", "～"}'), { kind: 'in', label: 'a', values: ['～', '😀'] });
});

test('&& binds tighter than ||, and ! tighter than both', () => {
  assert.deepEqual(parseSelector('has(a) || has(b) && has(c)'),
    { kind: 'or', operands: [has('a'), { kind: 'and', operands: [has('b'), has('c')] }] });
  assert.deepEqual(parseSelector('has(a) && has(b) || has(c)'),
    { kind: 'or', operands: [{ kind: 'and', operands: [has('a'), has('b')] }, has('c')] });
  assert.deepEqual(parseSelector('!has(a) && has(b)'),
    { kind: 'and', operands: [{ kind: 'not', operand: has('a') }, has('b')] });
  assert.deepEqual(parseSelector('!a == "x" || has(b)'),
    { kind: 'or', operands: [{ kind: 'not', operand: eq('a', 'x') }, has('b')] });
});

test('chains of one operator are one node; brackets keep their own node', () => {
  assert.deepEqual(parseSelector('has(a) && has(b) && has(c)'), { kind: 'and', operands: [has('a'), has('b'), has('c')] });
  assert.deepEqual(parseSelector('has(a) && (has(b) && has(c))'),
    { kind: 'and', operands: [has('a'), { kind: 'and', operands: [has('b'), has('c')] }] });
  assert.deepEqual(parseSelector('(has(a) || has(b)) && has(c)'),
    { kind: 'and', operands: [{ kind: 'or', operands: [has('a'), has('b')] }, has('c')] });
  assert.deepEqual(parseSelector('((has(a)))'), has('a'));
});

test('a run of ! collapses by parity, with or without spaces', () => {
  for (const text of ['has(a)', '!!has(a)', '!! !!has(a)', '! ! has(a)']) assert.deepEqual(parseSelector(text), has('a'), text);
  for (const text of ['!has(a)', '!!!has(a)', '!! ! has(a)', '! !!has(a)']) {
    assert.deepEqual(parseSelector(text), { kind: 'not', operand: has('a') }, text);
  }
  // Only a run written in a row collapses: a bracket in between keeps both (as in Calico).
  assert.deepEqual(parseSelector('!(!has(a))'), { kind: 'not', operand: { kind: 'not', operand: has('a') } });
});

test('&&, ||, == and != need no spaces; has() and all() allow them inside', () => {
  assert.deepEqual(parseSelector('has(a)&&has(b)||a!="x"'),
    { kind: 'or', operands: [{ kind: 'and', operands: [has('a'), has('b')] }, { kind: 'ne', label: 'a', value: 'x' }] });
  assert.deepEqual(parseSelector('has( a )&&all( )'), { kind: 'and', operands: [has('a'), { kind: 'all' }] });
  assert.deepEqual(parseSelector('a=="x"'), eq('a', 'x'));
});

test('labels may be named like operators', () => {
  assert.deepEqual(parseSelector('in in {"in"}'), { kind: 'in', label: 'in', values: ['in'] });
  assert.deepEqual(parseSelector('contains contains "contains"'), { kind: 'contains', label: 'contains', value: 'contains' });
  assert.deepEqual(parseSelector('has(a) && not == "x"'), { kind: 'and', operands: [has('a'), eq('not', 'x')] });
  assert.deepEqual(parseSelector('all == "x"'), eq('all', 'x'));
});

// Calico's parser_test.go badSelectors, plus more; each with the column it should point at.
test('syntax errors say where, what was expected and what was found', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['b == b', 6, /expected a quoted string after "==", found "b"$/],
    ['b contains b', 12, /expected a quoted string after "contains", found "b"$/],
    ['b starts with b', 15, /after "starts with"/],
    ['b ends with b', 13, /after "ends with"/],
    ["'b1' == b", 1, /expected a label, .* found "'b1'"$/],
    ['b', 2, /expected an operator after label "b" .* found the end of the selector$/],
    ['a b', 3, /expected an operator after label "a" .* found "b"$/],
    ['!', 2, /found the end of the selector$/],
    ['foo == "bar" &', 14, /expected "&&", "\|\|" or the end of the selector, found "&"$/],
    ['foo == "bar" |', 14, /found "\|"$/],
    ['foo != ||', 8, /expected a quoted string after "!=", found "\|\|"$/],
    ['foo in {"", ||', 13, /expected a quoted string or "}", found "\|\|"$/],
    ['foo in ""', 8, /expected "{" after "in", found '""'$/],
    ['"FOO', 1, /expected a closing " to end the string/],
    [`"FOO'`, 1, /expected a closing "/],
    ["'FOO", 1, /expected a closing '/],
    ['(', 2, /expected a label, .*found the end of the selector$/],
    ['(a == "foo"', 12, /expected "&&", "\|\|" or "\)", found the end of the selector$/],
    [')', 1, /found "\)"$/],
    ['()', 2, /found "\)"$/],
    ['%', 1, /found "%"$/],
    ['a == "b" && %', 13, /found "%"$/],
    ['a == "b" || %', 13, /found "%"$/],
    ['a ', 3, /expected an operator after label "a"/],
    ['has(foo) &&', 12, /found the end of the selector$/],
    ['a = "x"', 3, /expected an operator after label "a" .* found "="$/],
    ['a in {"x" "y"}', 11, /expected "," or "}", found '"y"'$/],
    ['a in {,}', 7, /expected a quoted string or "}", found ","$/],
    ['a starts "x"', 10, /expected "with" after "starts", found '"x"'$/],
    ['a not {"x"}', 7, /expected "in" after "not"/],
    ['has (a)', 5, /expected an operator after label "has" .* found "\("$/],
    ['has(a) has(b)', 8, /expected "&&", "\|\|" or the end of the selector, found "has\(b\)"$/],
    ['a == "x"\n', 9, /found "\\n"$/],
    ['a == "😀" && %', 13, /found "%"$/], // columns count characters, not UTF-16 units
  ];
  for (const [text, column, message] of cases) {
    assert.throws(() => parseSelector(text), (e: unknown) => {
      assert.ok(e instanceof SelectorSyntaxError, text);
      assert.equal(e.column, column, `${text}: ${e.message}`);
      assert.equal(e.selector, text);
      assert.ok(e.message.startsWith(`column ${column}: expected `), e.message);
      assert.match(e.message, message, text);
      return true;
    });
    assert.equal(checkSelector(text), (() => { try { parseSelector(text); return null; } catch (e) { return (e as Error).message; } })());
  }
});

test('checkSelector: null when valid, the message when not', () => {
  assert.equal(checkSelector('has(a) && b in {"x"}'), null);
  assert.equal(checkSelector(''), null);
  assert.equal(checkSelector('a =='), 'column 5: expected a quoted string after "==", found the end of the selector');
});

test('checkSelector enforces the 1024-character field limit; parseSelector does not', () => {
  const at = (n: number): string => `a == "${'x'.repeat(n - 7)}"`;
  assert.equal(at(1024).length, 1024);
  assert.equal(checkSelector(at(1024)), null);
  assert.equal(checkSelector(at(1025)), 'column 1025: expected a selector of at most 1024 characters, found 1025');
  assert.deepEqual(parseSelector(at(2000)), eq('a', 'x'.repeat(1993)));
});

test('labels are at most 512 characters, wherever they appear', () => {
  const ok = 'l'.repeat(512);
  const long = 'l'.repeat(513);
  assert.equal(checkSelector(`${ok} == "x"`), null);
  assert.equal(checkSelector(`has(${ok})`), null);
  assert.match(checkSelector(`${long} == "x"`) ?? '', /^column 1: expected a label of at most 512 characters, found one of 513/);
  assert.match(checkSelector(`has(${long})`) ?? '', /^column 5: /);
  assert.match(checkSelector(`has(a) || ${long} in {}`) ?? '', /^column 11: /);
});

test('nesting deeper than MAX_NESTING is refused with a syntax error, not a stack overflow', () => {
  const nested = (n: number): string => `${'('.repeat(n)}has(a)${')'.repeat(n)}`;
  assert.deepEqual(parseSelector(nested(MAX_NESTING)), has('a'));
  assert.throws(() => parseSelector(nested(MAX_NESTING + 1)),
    (e: unknown) => e instanceof SelectorSyntaxError && e.column === MAX_NESTING + 1);
  assert.throws(() => parseSelector('('.repeat(100_000)), SelectorSyntaxError);
});
