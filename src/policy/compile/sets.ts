// Named sets and their elements: one set per distinct selector, net list, named-port lookup and
// policy scope, shared by every rule that uses it. Elements are the canonical strings of ir.ts.

import { createHash } from 'node:crypto';
import { formatCIDR, formatIP, maskOf, type CIDR } from '../../lib/ip.js';
import { printSelector, type Selector } from '../../selector/index.js';
import { LabelIndex } from '../label-index.js';
import type { Endpoint, Entity } from '../snapshot.js';
import type { Family, IRSet } from '../ports.js';

const hashes = new Map<string, string>();
/** A short, stable, nft-safe name part for any key. */
export function shortHash(key: string): string {
  let h = hashes.get(key);
  if (h === undefined) {
    h = createHash('sha256').update(key).digest('hex').slice(0, 16);
    if (hashes.size > 100_000) hashes.clear();
    hashes.set(key, h);
  }
  return h;
}

const printed = new WeakMap<Selector, string>();
/** The canonical text of a selector, printed once per selector object. */
function textOf(sel: Selector): string {
  let t = printed.get(sel);
  if (t === undefined) { t = printSelector(sel); printed.set(sel, t); }
  return t;
}

const isHost = (c: CIDR): boolean => c.prefix === (c.version === 4 ? 32 : 128);

/** Sorted CIDRs of one family with every network that another one contains dropped (nft interval sets refuse overlaps). */
export function disjointCIDRs(cidrs: readonly CIDR[]): string[] {
  const sorted = [...cidrs].map((c) => ({ ...c, address: c.address & maskOf(c.version, c.prefix) }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.prefix - b.prefix));
  const out: string[] = [];
  let coverEnd = -1n;
  for (const c of sorted) {
    const bits = BigInt(c.version === 4 ? 32 : 128);
    const end = c.address + (1n << (bits - BigInt(c.prefix))) - 1n;
    if (c.address <= coverEnd) continue; // inside the previous (wider or equal) network
    out.push(formatCIDR(c));
    coverEnd = end;
  }
  return out;
}

export interface SetRegistry {
  /** The addr set of a selector for one family; returns its name. */
  selector(sel: Selector, family: Family): string;
  nets(nets: readonly CIDR[], family: Family): string;
  namedPorts(sel: Selector, names: readonly string[], family: Family): string;
  /** The ifname set of local endpoints a policy applies to. */
  scope(sel: Selector): string;
  readonly sets: () => IRSet[];
}

/**
 * Builds sets lazily, as rules ask for them. `entities`: everything selectors match by address
 * (cluster-wide); `local`: the endpoints this host enforces policy for (they have interfaces).
 */
export function setRegistry(entities: readonly Entity[], local: readonly Endpoint[]): SetRegistry {
  const sets = new Map<string, IRSet>();
  const index = new LabelIndex(entities);
  const localIndex = new LabelIndex(local);
  const matched = new Map<string, Entity[]>();
  const selected = (sel: Selector, key: string): Entity[] => {
    let m = matched.get(key);
    if (m === undefined) { m = index.select(sel); matched.set(key, m); }
    return m;
  };
  const put = (s: IRSet): string => { if (!sets.has(s.name)) sets.set(s.name, s); return s.name; };
  return {
    selector(sel, family) {
      const text = textOf(sel);
      const name = `s${family}_${shortHash(text)}`;
      if (sets.has(name)) return name;
      const cidrs = selected(sel, text).flatMap((e) => e.nets.filter((c) => c.version === family));
      return put({ name, type: 'addr', family, elements: disjointCIDRs(cidrs), comment: `selector ${text}` });
    },
    nets(nets, family) {
      const list = nets.filter((c) => c.version === family);
      const text = disjointCIDRs(list);
      const name = `n${family}_${shortHash(text.join(','))}`;
      return put({ name, type: 'addr', family, elements: text, comment: `nets ${text.slice(0, 4).join(', ')}${text.length > 4 ? ', …' : ''}` });
    },
    namedPorts(sel, names, family) {
      const text = textOf(sel);
      const sorted = [...new Set(names)].sort();
      const name = `np${family}_${shortHash(`${text}|${sorted.join(',')}`)}`;
      if (sets.has(name)) return name;
      const elements = new Set<string>();
      for (const e of selected(sel, text)) {
        if (e.kind !== 'WorkloadEndpoint' && e.kind !== 'HostEndpoint') continue;
        for (const p of (e as Endpoint).ports) {
          if (!sorted.includes(p.name)) continue;
          for (const c of e.nets) if (c.version === family && isHost(c)) elements.add(`${formatIP({ version: family, value: c.address })},${p.protocol},${p.port}`);
        }
      }
      return put({ name, type: 'addr-port', family, elements: [...elements].sort(), comment: `named ports ${sorted.join(', ')} of ${text}` });
    },
    scope(sel) {
      const text = textOf(sel);
      const name = `ep_${shortHash(text)}`;
      if (sets.has(name)) return name;
      const ifaces = localIndex.select(sel).map((e) => e.interfaceName!).sort();
      return put({ name, type: 'ifname', elements: [...new Set(ifaces)], comment: `endpoints of ${text}` });
    },
    sets: () => [...sets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
