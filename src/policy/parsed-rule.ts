// A stored Rule in the form both outputs use: protocols as numbers, nets as CIDRs, the entity
// selectors combined as Felix combines them (effective-selector.ts), ports split into numeric
// ranges and port names. The evaluator matches packets against it; the compiler renders it.

import { parseCIDR, type CIDR } from '../lib/ip.js';
import type { EntityRule, Port, Protocol, Rule, RuleAction } from '../model/index.js';
import { parseIPOrCIDRLoose } from './ip-util.js';
import { entitySelector, sel } from './effective-selector.js';
import type { Selector } from '../selector/index.js';

export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, ICMP: 1, ICMPv6: 58, SCTP: 132, UDPLite: 136 };
const NAMES_BY_NUMBER = new Map(Object.entries(PROTOCOL_NUMBERS).map(([k, v]) => [v, k] as const));

/** "TCP"/"tcp"/6 → 6; undefined when unset or unknown. */
export function protocolNumber(p: Protocol | string | undefined): number | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'number') return p;
  if (/^\d+$/.test(p)) return Number(p);
  const hit = Object.keys(PROTOCOL_NUMBERS).find((k) => k.toLowerCase() === p.toLowerCase());
  return hit === undefined ? undefined : PROTOCOL_NUMBERS[hit];
}

export function protocolLabel(n: number): string {
  return NAMES_BY_NUMBER.get(n) ?? String(n);
}

export interface PortRange { readonly lo: number; readonly hi: number }

export interface ParsedEntity {
  readonly nets: readonly CIDR[] | null;
  readonly notNets: readonly CIDR[] | null;
  /** The combined positive selector (namespace, service accounts, selector); null = none. */
  readonly selector: Selector | null;
  readonly notSelector: Selector | null;
  /** Numeric ports and ranges; with `namedPorts`, null when the rule has no `ports`. */
  readonly ports: readonly PortRange[] | null;
  readonly namedPorts: readonly string[];
  readonly notPorts: readonly PortRange[];
  readonly notNamedPorts: readonly string[];
  /** Which endpoints a named port is looked up on: the positive selector, or all(). */
  readonly namedPortSelector: Selector;
  /** A `services` match: Tortie has no Service objects, so such an entity matches nothing. */
  readonly services: boolean;
}

export interface ICMPMatch { readonly type?: number; readonly code?: number }

export interface ParsedRule {
  /** Position in the policy's ingress or egress list. */
  readonly index: number;
  readonly action: RuleAction;
  readonly ipVersion?: 4 | 6;
  readonly protocol?: number;
  readonly notProtocol?: number;
  readonly icmp?: ICMPMatch;
  readonly notICMP?: ICMPMatch;
  readonly src: ParsedEntity;
  readonly dst: ParsedEntity;
  /** The rule as stored, for explanations. */
  readonly rule: Rule;
}

function portsOf(list: readonly Port[] | undefined): { ranges: PortRange[]; names: string[] } {
  const ranges: PortRange[] = [];
  const names: string[] = [];
  for (const p of list ?? []) {
    if (typeof p === 'number') { ranges.push({ lo: p, hi: p }); continue; }
    const m = /^(\d+)(?::(\d+))?$/.exec(p);
    if (m) ranges.push({ lo: Number(m[1]), hi: Number(m[2] ?? m[1]) });
    else names.push(p);
  }
  return { ranges, names };
}

const netsOf = (list: readonly string[] | undefined): CIDR[] | null =>
  list && list.length > 0 ? list.map((n) => parseCIDR(n) ?? parseIPOrCIDRLoose(n)).filter((c): c is CIDR => c !== null) : null;

export function parseEntity(e: EntityRule | undefined, namespace: string | undefined): ParsedEntity {
  const selector = entitySelector(e, namespace);
  const ports = portsOf(e?.ports);
  const notPorts = portsOf(e?.notPorts);
  return {
    nets: netsOf(e?.nets),
    notNets: netsOf(e?.notNets),
    selector,
    notSelector: e?.notSelector ? sel(e.notSelector) : null,
    ports: e?.ports && e.ports.length > 0 ? ports.ranges : null,
    namedPorts: ports.names,
    notPorts: notPorts.ranges,
    notNamedPorts: notPorts.names,
    namedPortSelector: selector ?? sel('all()'),
    services: e?.services !== undefined,
  };
}

const icmpOf = (f: { type?: number; code?: number } | undefined): ICMPMatch | undefined => {
  if (f === undefined || (f.type === undefined && f.code === undefined)) return undefined;
  const out: { type?: number; code?: number } = {};
  if (f.type !== undefined) out.type = f.type;
  if (f.code !== undefined) out.code = f.code;
  return out;
};

/** `namespace`: the policy's namespace (undefined for global policies and profiles). */
export function parseRule(rule: Rule, index: number, namespace: string | undefined): ParsedRule {
  const out: { -readonly [K in keyof ParsedRule]: ParsedRule[K] } = {
    index, action: rule.action, rule,
    src: parseEntity(rule.source, namespace),
    dst: parseEntity(rule.destination, namespace),
  };
  if (rule.ipVersion !== undefined) out.ipVersion = rule.ipVersion;
  const p = protocolNumber(rule.protocol);
  if (p !== undefined) out.protocol = p;
  const np = protocolNumber(rule.notProtocol);
  if (np !== undefined) out.notProtocol = np;
  const icmp = icmpOf(rule.icmp);
  if (icmp) out.icmp = icmp;
  const notICMP = icmpOf(rule.notICMP);
  if (notICMP) out.notICMP = notICMP;
  return out;
}
