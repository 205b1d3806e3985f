// Property tests: random trees print, re-parse and evaluate consistently, and the evaluator agrees
// with a brute-force reference written here from the spec (not from evaluate.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Selector } from './ast.js';
import { SelectorSyntaxError } from './errors.js';
import { matches, NAMESPACE_LABEL, parseSelector, printSelector, selectorId } from './index.js';

// A small pool of labels and values, so that random label maps often hit the selector's labels.
const LABELS = ['a', 'b', 'k8s-app', 'x.y/z', NAMESPACE_LABEL];
const label = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...LABELS) }, fc.stringMatching(/^[A-Za-z0-9_./-]{1,8}$/));
// Values may hold either quote (never both: the language cannot write such a value), spaces,
// operators and non-ASCII text, all of which must survive quoting.
const value = fc.string({ unit: fc.constantFrom('a', 'b', 'x', ' ', '"', "'", '&&', ')', '{', 'é', '😀'), maxLength: 4 })
  .filter((v) => !(v.includes('"') && v.includes("'")));

const leaf: fc.Arbitrary<Selector> = fc.oneof(
  fc.constant<Selector>({ kind: 'all' }),
  fc.constant<Selector>({ kind: 'global' }),
  label.map((l): Selector => ({ kind: 'has', label: l })),
  fc.tuple(fc.constantFrom('eq', 'ne', 'contains', 'startsWith', 'endsWith' as const), label, value)
    .map(([kind, l, v]): Selector => ({ kind, label: l, value: v })),
  fc.tuple(fc.constantFrom('in', 'notIn' as const), label, fc.array(value, { maxLength: 4 }))
    .map(([kind, l, vs]): Selector => ({ kind, label: l, values: vs })),
);

// `not` never wraps a `not` directly: `!!x` re-parses as `x` (Calico collapses the run), so such
// a tree has no text of its own. The parser never builds one from a run of `!`s.
const { selector } = fc.letrec<{ selector: Selector; plain: Selector; group: Selector }>((tie) => ({
  selector: fc.oneof({ depthSize: 'small' }, tie('plain'), tie('plain').map((operand): Selector => ({ kind: 'not', operand }))),
  plain: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('group')),
  group: fc.tuple(fc.constantFrom('and', 'or' as const), tie('selector'), tie('selector'), fc.array(tie('selector'), { maxLength: 2 }))
    .map(([kind, x, y, rest]): Selector => ({ kind, operands: [x, y, ...rest] })),
}));

const labelMap = fc.dictionary(fc.constantFrom(...LABELS, 'other'), fc.oneof(value, fc.constantFrom('', 'a', 'ab', 'ba', 'x')), { maxKeys: 5 });

/** The tree as the parser would store it: set values sorted by code point and de-duplicated. */
function normalised(sel: Selector): Selector {
  switch (sel.kind) {
    case 'in': case 'notIn': {
      const sorted = [...new Set(sel.values)].sort((p, q) => {
        const a = [...p].map((c) => c.codePointAt(0)!);
        const b = [...q].map((c) => c.codePointAt(0)!);
        for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
        return a.length - b.length;
      });
      return { ...sel, values: sorted };
    }
    case 'not': return { kind: 'not', operand: normalised(sel.operand) };
    case 'and': case 'or': {
      const [x, y, ...rest] = sel.operands;
      return { kind: sel.kind, operands: [normalised(x), normalised(y), ...rest.map(normalised)] };
    }
    default: return sel;
  }
}

/** Brute force from the spec table: look the label up by scanning the pairs. */
function reference(sel: Selector, pairs: ReadonlyArray<readonly [string, string]>): boolean {
  const get = (k: string): string | null => pairs.find(([key]) => key === k)?.[1] ?? null;
  switch (sel.kind) {
    case 'all': return true;
    case 'global': return get(NAMESPACE_LABEL) === null;
    case 'has': return get(sel.label) !== null;
    case 'not': return !reference(sel.operand, pairs);
    case 'and': return sel.operands.filter((o) => !reference(o, pairs)).length === 0;
    case 'or': return sel.operands.filter((o) => reference(o, pairs)).length > 0;
  }
  const v = get(sel.label);
  switch (sel.kind) {
    case 'eq': return v !== null && v === sel.value;
    case 'ne': return !(v !== null && v === sel.value);
    case 'in': return v !== null && sel.values.some((x) => x === v);
    case 'notIn': return !(v !== null && sel.values.some((x) => x === v));
    case 'contains': {
      if (v === null) return false;
      for (let i = 0; i + sel.value.length <= v.length; i++) if (v.slice(i, i + sel.value.length) === sel.value) return true;
      return false;
    }
    case 'startsWith': return v !== null && v.slice(0, sel.value.length) === sel.value;
    case 'endsWith': return v !== null && v.length >= sel.value.length && v.slice(v.length - sel.value.length) === sel.value;
  }
}

test('printing then parsing gives back the tree (sets normalised) and the same canonical text', () => {
  fc.assert(fc.property(selector, (sel) => {
    const text = printSelector(sel);
    const again = parseSelector(text);
    assert.deepEqual(again, normalised(sel));
    assert.equal(printSelector(again), text);
    assert.equal(selectorId(again), selectorId(sel));
  }), { numRuns: 1000 });
});

test('the re-parsed canonical form evaluates exactly as the tree does', () => {
  fc.assert(fc.property(selector, fc.array(labelMap, { minLength: 1, maxLength: 8 }), (sel, maps) => {
    const again = parseSelector(printSelector(sel));
    for (const m of maps) assert.equal(matches(again, m), matches(sel, m));
  }), { numRuns: 500 });
});

test('matches agrees with the brute-force reference, for objects and Maps', () => {
  fc.assert(fc.property(selector, fc.array(labelMap, { minLength: 1, maxLength: 8 }), (sel, maps) => {
    for (const m of maps) {
      const want = reference(sel, Object.entries(m));
      assert.equal(matches(sel, m), want);
      assert.equal(matches(sel, new Map(Object.entries(m))), want);
    }
  }), { numRuns: 1000 });
});

// Surface syntax: the same tree written many ways — any spacing Calico allows, either quote, the
// one-word spellings of the operators, even runs of "!", extra brackets, unsorted and repeated
// set values with an optional trailing comma. A tape of random numbers drives the choices.
function write(sel: Selector, tape: readonly number[]): string {
  let i = 0;
  const pick = <T>(...xs: T[]): T => xs[tape[i++ % tape.length]! % xs.length]!;
  const ws = (): string => pick('', '', ' ', '\t', '  ');
  const gap = (): string => pick(' ', '\t', '  '); // where a word boundary is needed
  const quote = (v: string): string => (v.includes('"') ? `'${v}'` : v.includes("'") ? `"${v}"` : pick(`"${v}"`, `'${v}'`));
  const operand = (x: Selector, inside: 'and' | 'or'): string => {
    // A group inside a group needs brackets to keep its shape, except `&&` inside `||`
    // (precedence keeps it); any operand may have extra brackets.
    const bare = x.kind === 'and' || x.kind === 'or' ? x.kind === 'and' && inside === 'or' && pick(true, false) : true;
    return bare && pick(true, true, false) ? go(x) : `(${ws()}${go(x)}${ws()})`;
  };
  const go = (x: Selector): string => {
    const evenNots = pick('', '', '', '!!', '! !', '!!!!');
    switch (x.kind) {
      case 'all': return `${evenNots}all(${ws()})`;
      case 'global': return `${evenNots}global(${ws()})`;
      case 'has': return `${evenNots}has(${ws()}${x.label}${ws()})`;
      case 'eq': return `${evenNots}${x.label}${ws()}==${ws()}${quote(x.value)}`;
      case 'ne': return `${evenNots}${x.label}${ws()}!=${ws()}${quote(x.value)}`;
      case 'contains': return `${evenNots}${x.label}${gap()}contains${ws()}${quote(x.value)}`;
      case 'startsWith': return `${evenNots}${x.label}${gap()}${pick('starts with', 'startswith', 'starts\t with')}${ws()}${quote(x.value)}`;
      case 'endsWith': return `${evenNots}${x.label}${gap()}${pick('ends with', 'endswith')}${ws()}${quote(x.value)}`;
      case 'in': case 'notIn': {
        const values = [...x.values, ...(x.values.length > 0 ? [pick(...x.values)] : [])].map(quote);
        const op = x.kind === 'in' ? 'in' : pick('not in', 'notin', 'not  in');
        const comma = values.length > 0 ? pick('', ',') : '';
        return `${evenNots}${x.label}${gap()}${op}${ws()}{${ws()}${values.join(`${ws()},${ws()}`)}${comma}${ws()}}`;
      }
      case 'not': {
        const group = x.operand.kind === 'and' || x.operand.kind === 'or';
        const inner = !group && pick(true, false) ? go(x.operand) : `(${ws()}${go(x.operand)}${ws()})`;
        return `${pick('!', '!!!', '! ')}${ws()}${inner}`;
      }
      case 'and': case 'or':
        return x.operands.map((o) => operand(o, x.kind)).join(`${ws()}${x.kind === 'and' ? '&&' : '||'}${ws()}`);
    }
  };
  return `${ws()}${go(sel)}${ws()}`;
}

test('every way of writing a tree parses to that tree', () => {
  fc.assert(fc.property(selector, fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), (sel, tape) => {
    const text = write(sel, tape);
    assert.deepEqual(parseSelector(text), normalised(sel), text);
  }), { numRuns: 1000 });
});

// Text made of the language's own pieces, so that many inputs are valid and the rest fail late.
const piece = fc.constantFrom(
  'a', 'b', 'has(a)', 'has( b )', 'all()', 'global()', '==', '!=', '!', '&&', '||', '(', ')', '{', '}', ',',
  '"x"', "'y'", '""', 'in', 'not in', 'notin', 'contains', 'starts with', 'endswith', '%', '=', '"', '\t', '\n',
);
const text = fc.oneof(
  fc.array(piece, { maxLength: 12 }).chain((ps) => fc.constantFrom(' ', '').map((sep) => ps.join(sep))),
  fc.string({ maxLength: 30 }),
);

test('any text either parses or fails with a SelectorSyntaxError pointing inside it', () => {
  fc.assert(fc.property(text, (t) => {
    let sel: Selector;
    try {
      sel = parseSelector(t);
    } catch (e) {
      assert.ok(e instanceof SelectorSyntaxError, String(e));
      assert.ok(e.column >= 1 && e.column <= [...t].length + 1, `column ${e.column} of ${JSON.stringify(t)}`);
      assert.match(e.message, /^column \d+: expected .+, found .+/);
      return;
    }
    // One round of canonicalising settles everything (it collapses `!(!x)`); after that the
    // canonical text is a fixed point, and it always means the same as the original.
    const once = printSelector(parseSelector(printSelector(sel)));
    assert.equal(printSelector(parseSelector(once)), once);
    const samples: Array<Record<string, string>> = [{}, { a: 'x' }, { b: 'y', a: '' }, { [NAMESPACE_LABEL]: 'ns' }];
    for (const m of samples) {
      assert.equal(matches(parseSelector(once), m), matches(sel, m));
    }
  }), { numRuns: 2000 });
});
