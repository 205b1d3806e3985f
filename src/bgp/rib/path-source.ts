// What the paths of one UPDATE share — family, attributes, next hops, the peer — interned: one
// frozen PathSource per distinct set, however many prefixes and UPDATEs carry it (BIRD's `rta`
// cache, gobgp's shared PathAttributes). A path in the Adj-RIB-In is then a prefix and a pointer.
//
//   UPDATE (1000 NLRI, one attribute set) ─▶ intern ─▶ PathSource (refs += 1000) ◀── RibPath × 1000
//
// Sources are reference-counted by the RIB's Adj-RIB-In entries and leave the table at zero.

import type { Family, Nlri, PathAttributes } from '../codec/index.js';
import type { Path, PeerInfo } from './types.js';

export interface PathSource {
  readonly family: Family;
  readonly attributes: PathAttributes;
  readonly nextHops: readonly string[];
  readonly peer?: PeerInfo;
}

/** A path as the RIB stores it: its prefix and the interned source (a Path for every reader). */
export class RibPath implements Path {
  constructor(readonly prefix: Nlri, readonly src: PathSource) {}
  get family(): Family { return this.src.family; }
  get attributes(): PathAttributes { return this.src.attributes; }
  get nextHops(): readonly string[] { return this.src.nextHops; }
  get peer(): PeerInfo | undefined { return this.src.peer; }
}

const jsonValue = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v);

interface Entry { readonly src: PathSource; refs: number }

export class PathSourceTable {
  private readonly byKey = new Map<string, Entry>();
  private readonly bySource = new Map<PathSource, { key: string; entry: Entry }>();

  /** The shared source for these values, created on first use (call `adjust` for the paths that keep it). */
  intern(family: Family, attributes: PathAttributes, nextHops: readonly string[], peer: PeerInfo | undefined): PathSource {
    // Attribute order follows the wire: two orders of one set are two sources, which is only a
    // missed sharing, never a wrong one.
    const key = `${peer?.id ?? ''}\u0000${family}\u0000${nextHops.join(',')}\u0000${JSON.stringify(attributes, jsonValue)}`;
    let e = this.byKey.get(key);
    if (!e) {
      const src: PathSource = Object.freeze(peer ? { family, attributes: Object.freeze(attributes), nextHops: Object.freeze([...nextHops]), peer }
        : { family, attributes: Object.freeze(attributes), nextHops: Object.freeze([...nextHops]) });
      e = { src, refs: 0 };
      this.byKey.set(key, e);
      this.bySource.set(src, { key, entry: e });
    }
    return e.src;
  }

  /** Counts `delta` more (or fewer) paths holding `src`; a source none holds is forgotten. */
  adjust(src: PathSource, delta: number): void {
    const x = this.bySource.get(src);
    if (!x) return;
    x.entry.refs += delta;
    if (x.entry.refs <= 0) { this.byKey.delete(x.key); this.bySource.delete(src); }
  }

  /** Distinct sources held (for tests and status). */
  get size(): number { return this.byKey.size; }
}
