// Calico's canonical rendering of a selector (the String() of libcalico-go's selector AST). Two
// selectors that print the same are the same selector to Calico: the string is hashed into the
// selector's ID, which names its IP set.
//
// The rules, all Calico's:
// - every `&&` / `||` group is wrapped in one pair of brackets, with one space around the
//   operator: `(a == "x" && has(b))`; the top level too; a lone term has no brackets;
// - `!` is written straight before its operand: `!has(a)`, `!(a || b)`;
// - comparisons are `label op "value"` with single spaces; a value that contains `"` is quoted
//   with `'` instead (a value holding both quotes cannot be written — the language has no escapes);
// - sets are `label in {"a", "b"}` / `label not in {}`: sorted, without duplicates, ", " between.

import { canonicalSet, type Selector } from './ast.js';

const OPERATOR: Readonly<Record<'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith', string>> = {
  eq: '==', ne: '!=', contains: 'contains', startsWith: 'starts with', endsWith: 'ends with',
};

function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

export function printSelector(sel: Selector): string {
  switch (sel.kind) {
    case 'all': return 'all()';
    case 'global': return 'global()';
    case 'has': return `has(${sel.label})`;
    case 'eq': case 'ne': case 'contains': case 'startsWith': case 'endsWith':
      return `${sel.label} ${OPERATOR[sel.kind]} ${quote(sel.value)}`;
    case 'in': case 'notIn':
      return `${sel.label} ${sel.kind === 'in' ? 'in' : 'not in'} {${canonicalSet(sel.values).map(quote).join(', ')}}`;
    case 'not': return `!${printSelector(sel.operand)}`;
    case 'and': case 'or':
      return `(${sel.operands.map(printSelector).join(sel.kind === 'and' ? ' && ' : ' || ')})`;
  }
}
