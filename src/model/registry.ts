// Looks kinds up by the names people type: kind, plural or short name, in any case.

import type { KindDef } from './kind.js';
import { KINDS } from './kinds/index.js';

const byName = new Map<string, KindDef>();
for (const k of KINDS) {
  for (const n of [k.kind, k.plural, ...k.shortNames]) byName.set(n.toLowerCase(), k);
}
const byKind = new Map(KINDS.map((k) => [k.kind, k] as const));

/** `ippools`, `IPPool`, `ipp` → IPPool. */
export function kindByName(name: string): KindDef | undefined {
  return byName.get(name.toLowerCase());
}

/** Exact kind as written in a manifest (`IPPool`). */
export function kindByKind(kind: string): KindDef | undefined {
  return byKind.get(kind);
}

export function allKinds(): readonly KindDef[] {
  return KINDS;
}
