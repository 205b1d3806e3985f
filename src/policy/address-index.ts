// Which labelled things hold an address, and so which selectors an address matches. This is the
// evaluator's view of Felix's IP sets: a selector's set holds the addresses of every endpoint and
// network set it selects, so an address matches a selector when ANY entity holding it is selected
// (and a notSelector when none is), exactly as a kernel set lookup answers.

import { cidrContainsIP, type IP } from '../lib/ip.js';
import { matches, type Selector } from '../selector/index.js';
import { ipKey } from './ip-util.js';
import type { Endpoint, Entity, Snapshot } from './snapshot.js';

export class AddressIndex {
  private readonly at = new Map<string, readonly Entity[]>();
  private readonly selectorHits = new WeakMap<Selector, Map<string, boolean>>();

  constructor(private readonly snap: Snapshot) {}

  /** Every entity whose addresses contain `ip`. */
  entitiesAt(ip: IP): readonly Entity[] {
    const k = ipKey(ip);
    let hit = this.at.get(k);
    if (hit === undefined) {
      hit = [...(this.snap.byHostIP.get(k) ?? []), ...this.snap.wide.filter((e) => e.nets.some((c) => cidrContainsIP(c, ip)))];
      this.at.set(k, hit);
    }
    return hit;
  }

  /** Whether `ip` is in the set of addresses `sel` selects. */
  selects(sel: Selector, ip: IP): boolean {
    let m = this.selectorHits.get(sel);
    if (m === undefined) { m = new Map(); this.selectorHits.set(sel, m); }
    const k = ipKey(ip);
    let v = m.get(k);
    if (v === undefined) {
      v = this.entitiesAt(ip).some((e) => matches(sel, e.labels));
      m.set(k, v);
    }
    return v;
  }

  /**
   * Whether (ip, protocol, port) is in a named-port set: an endpoint holding `ip`, selected by
   * `sel`, declares one of `names` with this protocol and port (Felix's `n:` IP sets).
   */
  namedPort(sel: Selector, names: readonly string[], ip: IP, protocol: number, port: number): boolean {
    if (names.length === 0) return false;
    return this.entitiesAt(ip).some((e) => (e.kind === 'WorkloadEndpoint' || e.kind === 'HostEndpoint')
      && e.nets.some((c) => c.prefix === (c.version === 4 ? 32 : 128) && c.address === ip.value && c.version === ip.version)
      && (e as Endpoint).ports.some((p) => names.includes(p.name) && p.protocol === protocol && p.port === port)
      && matches(sel, e.labels));
  }
}
