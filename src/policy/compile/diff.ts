// What changed between two rulesets. When only set and map elements differ — a label, an
// endpoint or an address changed — the kernel is patched element by element; anything else
// (a chain, a rule, a new set) needs the whole table replaced in one transaction.

import type { IRMap, IRSet, Ruleset } from './ir.js';

export interface SetDelta { readonly set: string; readonly add: readonly string[]; readonly remove: readonly string[] }
export interface MapDelta { readonly map: string; readonly add: ReadonlyArray<readonly [string, string]>; readonly remove: readonly string[] }

export type RulesetDiff =
  | { readonly kind: 'none' }
  | { readonly kind: 'elements'; readonly sets: readonly SetDelta[]; readonly maps: readonly MapDelta[] }
  | { readonly kind: 'structure' };

const setHead = (s: IRSet): string => `${s.name}|${s.type}|${s.family ?? ''}`;

/** The part of a ruleset that elements cannot change. */
export function structureOf(r: Ruleset): string {
  return JSON.stringify({ sets: r.sets.map(setHead), maps: r.maps.map((m) => m.name), chains: r.chains });
}

function setDelta(a: IRSet, b: IRSet): SetDelta | null {
  const old = new Set(a.elements);
  const neu = new Set(b.elements);
  const add = b.elements.filter((e) => !old.has(e));
  const remove = a.elements.filter((e) => !neu.has(e));
  return add.length === 0 && remove.length === 0 ? null : { set: a.name, add, remove };
}

function mapDelta(a: IRMap, b: IRMap): MapDelta | null {
  const add: Array<readonly [string, string]> = [];
  const remove: string[] = [];
  for (const [k, v] of a.elements) if (b.elements.get(k) !== v) remove.push(k);
  for (const [k, v] of b.elements) if (a.elements.get(k) !== v) add.push([k, v]);
  return add.length === 0 && remove.length === 0 ? null : { map: a.name, add, remove };
}

export function diffRulesets(a: Ruleset, b: Ruleset): RulesetDiff {
  if (structureOf(a) !== structureOf(b)) return { kind: 'structure' };
  const sets = a.sets.map((s, i) => setDelta(s, b.sets[i]!)).filter((d): d is SetDelta => d !== null);
  const maps = a.maps.map((m, i) => mapDelta(m, b.maps[i]!)).filter((d): d is MapDelta => d !== null);
  return sets.length === 0 && maps.length === 0 ? { kind: 'none' } : { kind: 'elements', sets, maps };
}
