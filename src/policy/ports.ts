// The policy room's port — the compiler's output: a neutral description of the packet filter
// (felix/generictables in spirit) that knows nothing of nft syntax. A renderer (src/dataplane/nft)
// turns it into text; the dataplane's target (src/dataplane/ports.ts) carries it.
//
// Sets hold elements in a canonical text form, so rulesets can be compared and diffed:
//   addr       "10.0.0.0/8", "10.0.0.1/32", "fd00::1/128"   (one family per set; interval)
//   ifname     "cali0123456789a"
//   addr-port  "10.0.0.1,6,80"                              (address, IP protocol, port)
// A map sends an interface name to a chain (a verdict map); a rule is matches → statements → verdict.

export type Family = 4 | 6;
export type SetType = 'addr' | 'ifname' | 'addr-port';

export interface IRSet {
  readonly name: string;
  readonly type: SetType;
  /** For addr and addr-port sets. */
  readonly family?: Family;
  /** Sorted, unique, and for addr sets free of overlaps. */
  readonly elements: readonly string[];
  readonly comment: string;
}

export interface IRMap {
  readonly name: string;
  /** ifname → chain to `goto`. */
  readonly elements: ReadonlyMap<string, string>;
  readonly comment: string;
}

export interface PortRange { readonly lo: number; readonly hi: number }

export type Match =
  | { readonly kind: 'family'; readonly family: Family }
  | { readonly kind: 'protocol'; readonly protocol: number; readonly negate: boolean }
  | { readonly kind: 'icmp-type'; readonly family: Family; readonly type: number; readonly negate: boolean }
  | { readonly kind: 'icmp-code'; readonly family: Family; readonly code: number; readonly negate: boolean }
  | { readonly kind: 'addr-set'; readonly side: 'src' | 'dst'; readonly family: Family; readonly set: string; readonly negate: boolean }
  | { readonly kind: 'ports'; readonly side: 'src' | 'dst'; readonly ranges: readonly PortRange[]; readonly negate: boolean }
  | { readonly kind: 'addr-port-set'; readonly side: 'src' | 'dst'; readonly family: Family; readonly set: string; readonly negate: boolean }
  | { readonly kind: 'iface-set'; readonly dir: 'in' | 'out'; readonly set: string }
  | { readonly kind: 'iface-prefix'; readonly dir: 'in' | 'out'; readonly prefix: string }
  | { readonly kind: 'mark'; readonly mask: number; readonly value: number }
  | { readonly kind: 'ct-state'; readonly states: ReadonlyArray<'established' | 'related' | 'invalid'> };

export type Verdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  /** Refuse with an ICMP "administratively prohibited" error, so the sender learns at once (FilterDenyAction Reject). */
  | { readonly kind: 'reject' }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'vmap'; readonly dir: 'in' | 'out'; readonly map: string };

export interface IRRule {
  readonly matches: readonly Match[];
  /** mark = (mark & ~clear) | set, before the verdict. */
  readonly mark?: { readonly clear: number; readonly set: number };
  readonly log?: string;
  /** Count the packets that match (policy and profile rules: `tortie trace` reads them). */
  readonly counter?: boolean;
  readonly verdict?: Verdict;
  readonly comment?: string;
}

export interface IRChain {
  readonly name: string;
  /** Base chains are attached to a netfilter hook with policy accept. */
  readonly hook?: 'forward' | 'input';
  readonly rules: readonly IRRule[];
  readonly comment?: string;
}

export interface Ruleset {
  readonly sets: readonly IRSet[];
  readonly maps: readonly IRMap[];
  readonly chains: readonly IRChain[];
}

/** Felix's mark bits (IptablesMarkMask 0xffff0000, allocated lowest first): accept, pass, scratch. */
export const MARK_ACCEPT = 0x10000;
export const MARK_PASS = 0x20000;
/** Set when a policy in the current tier applied to the endpoint (the end-of-tier drop needs it). */
export const MARK_APPLIED = 0x80000;
export const MARK_ALL = MARK_ACCEPT | MARK_PASS | MARK_APPLIED;

export function countRules(r: Ruleset): number {
  return r.chains.reduce((n, c) => n + c.rules.length, 0);
}

export function countElements(r: Ruleset): number {
  return r.sets.reduce((n, s) => n + s.elements.length, 0) + r.maps.reduce((n, m) => n + m.elements.size, 0);
}
