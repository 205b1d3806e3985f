// An inverted index over labels, so that finding what a selector picks out of many thousands of
// entities does not test every one of them (Felix keeps a similar index in labelindex/).
// Narrowing uses `==`, `in` and `has()` terms — an `&&` takes its narrowest such operand, an `||`
// the union when every operand narrows — and the survivors are checked with the full selector.

import { matches, type Selector } from '../selector/index.js';

export class LabelIndex<T extends { readonly labels: ReadonlyMap<string, string> }> {
  private readonly byKey = new Map<string, Map<string, T[]>>();
  private readonly withKey = new Map<string, T[]>();

  constructor(readonly items: readonly T[]) {
    for (const item of items) {
      for (const [k, v] of item.labels) {
        let values = this.byKey.get(k);
        if (values === undefined) { values = new Map(); this.byKey.set(k, values); }
        let list = values.get(v);
        if (list === undefined) { list = []; values.set(v, list); }
        list.push(item);
        let all = this.withKey.get(k);
        if (all === undefined) { all = []; this.withKey.set(k, all); }
        all.push(item);
      }
    }
  }

  /** A superset of the matches, or null when the selector cannot narrow the search. */
  private candidates(sel: Selector): readonly T[] | null {
    switch (sel.kind) {
      case 'eq': return this.byKey.get(sel.label)?.get(sel.value) ?? [];
      case 'has': return this.withKey.get(sel.label) ?? [];
      case 'in': {
        const values = this.byKey.get(sel.label);
        return values === undefined ? [] : sel.values.flatMap((v) => values.get(v) ?? []);
      }
      case 'and': {
        let best: readonly T[] | null = null;
        for (const op of sel.operands) {
          const c = this.candidates(op);
          if (c !== null && (best === null || c.length < best.length)) best = c;
        }
        return best;
      }
      case 'or': {
        const parts = sel.operands.map((op) => this.candidates(op));
        if (parts.some((p) => p === null)) return null;
        return [...new Set(parts.flatMap((p) => p!))];
      }
      default: return null;
    }
  }

  /** Every item the selector matches, in index order. */
  select(sel: Selector): T[] {
    const c = this.candidates(sel);
    if (c === null) return this.items.filter((i) => matches(sel, i.labels));
    const hits = new Set(c.filter((i) => matches(sel, i.labels)));
    return this.items.length <= hits.size * 4 ? this.items.filter((i) => hits.has(i)) : [...hits];
  }
}
