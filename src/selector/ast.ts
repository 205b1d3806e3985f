// The selector AST: what `parseSelector` returns and `matches`/`printSelector` consume.
//
// The shape follows Calico's parser (libcalico-go/lib/selector/parser/ast.go) node for node,
// because the canonical string — and so the selector's ID and IP-set name — is a rendering of
// this tree. In particular `&&` and `||` keep the grouping the user wrote: `a && (b && c)` is an
// `and` holding an `and`, and renders as `(a && (b && c))`, exactly as Calico renders it.

export type Selector =
  | AllSelector
  | GlobalSelector
  | HasSelector
  | ValueSelector
  | SetSelector
  | NotSelector
  | BoolSelector;

/** `all()`; also what an empty selector means. */
export interface AllSelector { readonly kind: 'all' }

/** `global()`: selects non-namespaced things (see `matches`). */
export interface GlobalSelector { readonly kind: 'global' }

/** `has(label)`. */
export interface HasSelector { readonly kind: 'has'; readonly label: string }

/** `label == "v"`, `label != "v"`, `label contains "v"`, `label starts with "v"`, `label ends with "v"`. */
export interface ValueSelector {
  readonly kind: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';
  readonly label: string;
  readonly value: string;
}

/**
 * `label in {…}`, `label not in {…}`. The parser stores `values` sorted (by code point, as Go
 * sorts UTF-8 bytes) and without duplicates; the printer sorts again, so hand-built trees print
 * the same way.
 */
export interface SetSelector {
  readonly kind: 'in' | 'notIn';
  readonly label: string;
  readonly values: readonly string[];
}

/** `!operand`. The parser collapses a run of `!` by parity, so `!!x` is just `x`. */
export interface NotSelector { readonly kind: 'not'; readonly operand: Selector }

/** `a && b && …` or `a || b || …`: at least two operands, as the parser never builds fewer. */
export interface BoolSelector {
  readonly kind: 'and' | 'or';
  readonly operands: readonly [Selector, Selector, ...Selector[]];
}

/** Compares as Go compares strings (UTF-8 bytes), which is code-point order, not UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // both hold the same surrogate pair; step over its second half
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** A set literal's values as Calico keeps them: sorted, duplicates dropped. */
export function canonicalSet(values: readonly string[]): string[] {
  const sorted = [...values].sort(compareCodePoints);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}
