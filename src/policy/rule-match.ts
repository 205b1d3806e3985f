// Whether a packet matches a rule: every field the rule sets must hold (Calico's rule semantics,
// felix/rules/rule_defs.go and the nft rendering in compile/). Named ports are resolved per
// endpoint through the AddressIndex, as Felix's named-port IP sets resolve them.

import { cidrContainsIP, type CIDR, type IP } from '../lib/ip.js';
import type { AddressIndex } from './address-index.js';
import type { Packet } from './packet.js';
import type { ICMPMatch, ParsedEntity, ParsedRule, PortRange } from './parsed-rule.js';

const inNets = (nets: readonly CIDR[], ip: IP): boolean => nets.some((c) => cidrContainsIP(c, ip));
const inRanges = (ranges: readonly PortRange[], port: number): boolean => ranges.some((r) => port >= r.lo && port <= r.hi);

function icmpMatches(m: ICMPMatch, p: Packet): boolean {
  if (m.type !== undefined && p.icmpType !== m.type) return false;
  if (m.code !== undefined && p.icmpCode !== m.code) return false;
  return true;
}

function entityMatches(e: ParsedEntity, ip: IP, port: number | undefined, protocol: number, idx: AddressIndex): boolean {
  if (e.services) return false;
  if (e.nets !== null && !inNets(e.nets, ip)) return false;
  if (e.notNets !== null && inNets(e.notNets, ip)) return false;
  if (e.selector !== null && !idx.selects(e.selector, ip)) return false;
  if (e.notSelector !== null && idx.selects(e.notSelector, ip)) return false;
  if (e.ports !== null || e.namedPorts.length > 0) {
    if (port === undefined) return false;
    const numeric = e.ports !== null && inRanges(e.ports, port);
    if (!numeric && !idx.namedPort(e.namedPortSelector, e.namedPorts, ip, protocol, port)) return false;
  }
  if (e.notPorts.length > 0 || e.notNamedPorts.length > 0) {
    if (port === undefined) return false;
    if (inRanges(e.notPorts, port)) return false;
    if (idx.namedPort(e.namedPortSelector, e.notNamedPorts, ip, protocol, port)) return false;
  }
  return true;
}

export function ruleMatches(r: ParsedRule, p: Packet, idx: AddressIndex): boolean {
  if (r.ipVersion !== undefined && r.ipVersion !== p.src.version) return false;
  if (r.protocol !== undefined && r.protocol !== p.protocol) return false;
  if (r.notProtocol !== undefined && r.notProtocol === p.protocol) return false;
  if (r.icmp !== undefined && !icmpMatches(r.icmp, p)) return false;
  if (r.notICMP !== undefined && icmpMatches(r.notICMP, p)) return false;
  if (!entityMatches(r.src, p.src, p.srcPort, p.protocol, idx)) return false;
  return entityMatches(r.dst, p.dst, p.dstPort, p.protocol, idx);
}
