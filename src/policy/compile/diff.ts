// What changed between two rulesets. When only set and map elements differ — a label, an
// endpoint or an address changed — the kernel is patched element by element; anything else
// (a chain, a rule, a new set) needs the whole table replaced in one transaction.

import type { IRMap, IRSet, Ruleset } from '../ports.js';

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

/**
 * Equality of plain data (arrays, objects, primitives) with `undefined` members ignored — what
 * comparing structureOf texts decides, without building two multi-megabyte strings per apply
 * (at 1,000 policies that was most of an agent's time per endpoint change).
 */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    if (!sameData(ra[k], rb[k])) return false;
    n++;
  }
  for (const k in rb) if (rb[k] !== undefined) n--;
  return n === 0;
}

function sameStructure(a: Ruleset, b: Ruleset): boolean {
  return a.sets.length === b.sets.length && a.sets.every((s, i) => setHead(s) === setHead(b.sets[i]!))
    && a.maps.length === b.maps.length && a.maps.every((m, i) => m.name === b.maps[i]!.name)
    && sameData(a.chains, b.chains);
}

function setDelta(a: IRSet, b: IRSet): SetDelta | null {
  // Elements are sorted and unique: equal lists are the common case and need no sets built.
  if (a.elements.length === b.elements.length && a.elements.every((e, i) => e === b.elements[i])) return null;
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
  if (!sameStructure(a, b)) return { kind: 'structure' };
  const sets = a.sets.map((s, i) => setDelta(s, b.sets[i]!)).filter((d): d is SetDelta => d !== null);
  const maps = a.maps.map((m, i) => mapDelta(m, b.maps[i]!)).filter((d): d is MapDelta => d !== null);
  return sets.length === 0 && maps.length === 0 ? { kind: 'none' } : { kind: 'elements', sets, maps };
}
