// Whether a selector matches a set of labels, with Calico's rules for a missing label
// (libcalico-go/lib/selector/parser/ast.go, the Evaluate methods):
// - `==`, `in`, `contains`, `starts with`, `ends with` and `has()` are false when it is absent;
// - `!=` and `not in` are TRUE when it is absent: `a != "x"` means "not a == x", so it also
//   selects everything that has no label `a` at all.

import type { Selector } from './ast.js';

export type Labels = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

/**
 * The label every namespaced endpoint and network set carries (Calico adds it automatically);
 * `global()` matches exactly the things without it.
 */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';

function isMap(labels: Labels): labels is ReadonlyMap<string, string> {
  return typeof (labels as { get?: unknown }).get === 'function';
}

function lookup(labels: Labels, key: string): string | undefined {
  if (isMap(labels)) return labels.get(key);
  // Own properties only: a label named "constructor" or "__proto__" must not find Object's.
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/**
 * `all()` matches everything. `global()` matches only labels without
 * `projectcalico.org/namespace`. Calico's own GlobalNode matches everything too, but Calico only
 * allows global() where it rewrites it first — a namespaceSelector's global() becomes
 * `!has(projectcalico.org/namespace)` — so evaluating it that way gives Calico's result without
 * the rewrite.
 */
export function matches(sel: Selector, labels: Labels): boolean {
  switch (sel.kind) {
    case 'all': return true;
    case 'global': return lookup(labels, NAMESPACE_LABEL) === undefined;
    case 'has': return lookup(labels, sel.label) !== undefined;
    case 'eq': return lookup(labels, sel.label) === sel.value;
    case 'ne': return lookup(labels, sel.label) !== sel.value;
    case 'contains': return lookup(labels, sel.label)?.includes(sel.value) ?? false;
    case 'startsWith': return lookup(labels, sel.label)?.startsWith(sel.value) ?? false;
    case 'endsWith': return lookup(labels, sel.label)?.endsWith(sel.value) ?? false;
    case 'in': case 'notIn': {
      const v = lookup(labels, sel.label);
      const found = v !== undefined && sel.values.includes(v);
      return sel.kind === 'in' ? found : !found;
    }
    case 'not': return !matches(sel.operand, labels);
    case 'and': return sel.operands.every((op) => matches(op, labels));
    case 'or': return sel.operands.some((op) => matches(op, labels));
  }
}
