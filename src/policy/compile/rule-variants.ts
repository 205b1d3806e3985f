// One policy rule → the IR rules that implement it. A rule is a conjunction, but a few of its
// fields are disjunctions the kernel cannot say in one rule, so they become adjacent variants
// with the same action (the first that matches decides, exactly as the one rule would):
//   - no ipVersion and address matches by selector: one variant per family (sets hold one family);
//   - numeric ports or named ports: `port in ranges` | `(addr, proto, port) in named-port set`;
//   - notICMP {type, code}: `type != t` | `type == t && code != c`.
// Everything else maps to one match each, so the rule count grows with the rules written, never
// with the endpoints selected.

import type { CIDR } from '../../lib/ip.js';
import type { ParsedEntity, ParsedRule } from '../parsed-rule.js';
import { ICMP, ICMPV6 } from '../packet.js';
import type { Family, Match } from '../ports.js';
import type { SetRegistry } from './sets.js';

const familiesOfNets = (nets: readonly CIDR[] | null): Family[] => [...new Set((nets ?? []).map((c) => c.version))];

/** The families a rule can match: its ipVersion, its nets' family, or both when only selectors pin addresses. */
export function ruleFamilies(r: ParsedRule): Array<Family | null> {
  if (r.ipVersion !== undefined) return [r.ipVersion];
  if (r.protocol === ICMP) return [4];
  if (r.protocol === ICMPV6) return [6];
  const nets = new Set<Family>([...familiesOfNets(r.src.nets), ...familiesOfNets(r.src.notNets), ...familiesOfNets(r.dst.nets), ...familiesOfNets(r.dst.notNets)]);
  if (nets.size > 0) return [...nets];
  const addressed = (e: ParsedEntity): boolean => e.selector !== null || e.notSelector !== null || e.namedPorts.length > 0 || e.notNamedPorts.length > 0;
  if (addressed(r.src) || addressed(r.dst)) return [4, 6];
  return [null];
}

/** The alternatives of one side: each a list of matches; the side matches when one alternative does. */
function sideAlternatives(e: ParsedEntity, side: 'src' | 'dst', family: Family | null, sets: SetRegistry): Match[][] | null {
  if (e.services) return null; // matches nothing: no Service objects
  const common: Match[] = [];
  if (family !== null) {
    if (e.nets !== null) {
      const own = e.nets.filter((c) => c.version === family);
      if (own.length === 0) return null;
      common.push({ kind: 'addr-set', side, family, set: sets.nets(own, family), negate: false });
    }
    if (e.notNets !== null && e.notNets.some((c) => c.version === family)) {
      common.push({ kind: 'addr-set', side, family, set: sets.nets(e.notNets, family), negate: true });
    }
    if (e.notSelector !== null) common.push({ kind: 'addr-set', side, family, set: sets.selector(e.notSelector, family), negate: true });
    if (e.notPorts.length > 0) common.push({ kind: 'ports', side, ranges: e.notPorts, negate: true });
    if (e.notNamedPorts.length > 0) common.push({ kind: 'addr-port-set', side, family, set: sets.namedPorts(e.namedPortSelector, e.notNamedPorts, family), negate: true });
  } else if (e.notPorts.length > 0) {
    common.push({ kind: 'ports', side, ranges: e.notPorts, negate: true });
  }
  const selectorMatch: Match[] = family !== null && e.selector !== null ? [{ kind: 'addr-set', side, family, set: sets.selector(e.selector, family), negate: false }] : [];
  if (e.ports === null && e.namedPorts.length === 0) return [[...common, ...selectorMatch]];
  const alts: Match[][] = [];
  if (e.ports !== null && e.ports.length > 0) alts.push([...common, ...selectorMatch, { kind: 'ports', side, ranges: e.ports, negate: false }]);
  if (e.namedPorts.length > 0 && family !== null) {
    // The named-port set already holds only addresses the selector picks.
    alts.push([...common, { kind: 'addr-port-set', side, family, set: sets.namedPorts(e.namedPortSelector, e.namedPorts, family), negate: false }]);
  }
  return alts.length > 0 ? alts : null;
}

function icmpAlternatives(r: ParsedRule, family: Family | null): Match[][] {
  const fam: Family = family ?? (r.protocol === ICMPV6 ? 6 : 4);
  const base: Match[] = [];
  if (r.icmp?.type !== undefined) base.push({ kind: 'icmp-type', family: fam, type: r.icmp.type, negate: false });
  if (r.icmp?.code !== undefined) base.push({ kind: 'icmp-code', family: fam, code: r.icmp.code, negate: false });
  const n = r.notICMP;
  if (n === undefined || n.type === undefined) return [base];
  if (n.code === undefined) return [[...base, { kind: 'icmp-type', family: fam, type: n.type, negate: true }]];
  return [
    [...base, { kind: 'icmp-type', family: fam, type: n.type, negate: true }],
    [...base, { kind: 'icmp-type', family: fam, type: n.type, negate: false }, { kind: 'icmp-code', family: fam, code: n.code, negate: true }],
  ];
}

/** Every match-list that together implements the rule's condition (empty: the rule can never match). */
export function ruleVariants(r: ParsedRule, sets: SetRegistry): Match[][] {
  const out: Match[][] = [];
  for (const family of ruleFamilies(r)) {
    const head: Match[] = [];
    if (family !== null && r.protocol !== ICMP && r.protocol !== ICMPV6) head.push({ kind: 'family', family });
    if (r.protocol !== undefined) head.push({ kind: 'protocol', protocol: r.protocol, negate: false });
    if (r.notProtocol !== undefined) head.push({ kind: 'protocol', protocol: r.notProtocol, negate: true });
    const src = sideAlternatives(r.src, 'src', family, sets);
    const dst = sideAlternatives(r.dst, 'dst', family, sets);
    if (src === null || dst === null) continue;
    for (const i of icmpAlternatives(r, family)) for (const s of src) for (const d of dst) out.push([...head, ...i, ...s, ...d]);
  }
  return out;
}
