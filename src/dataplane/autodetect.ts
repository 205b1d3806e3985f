// Node IP autodetection, Calico's methods (node/pkg/lifecycle/startup/autodetection):
//   first-found            the first global unicast address on an interface not excluded by
//                          DEFAULT_EXCLUDES (Calico's list plus Tortie's own vxlan.tortie)
//   interface=R1,R2        … on an interface matching one of the regexes (no default excludes)
//   skip-interface=R1,R2   … on an interface matching neither the defaults nor these regexes
//   cidr=C1,C2             … the first address inside one of the CIDRs (no default excludes)
//   can-reach=DEST         the source address the kernel would use towards DEST (`ip route get`,
//                          where Calico connects a UDP socket — the same route lookup)
// The answer keeps the interface's prefix length (`10.0.0.5/24`): CrossSubnet decides "same
// subnet" from it, and a /32 would make every peer look remote (calico.md §6).
// Calico's quirk, kept on purpose: interfaces are scanned in REVERSE kernel order (highest index
// first; Go's GetInterfaces loops backwards "to maintain behavior with older versions",
// calicoctl#1546), and regexes are unanchored at the end (`^lo` also skips `loop0`).
//
// `chooseNodeAddress` is pure (links and the route lookup's answer in, address out);
// `detectNodeAddress` asks the Netlink port for both.

import { TortieError } from '../lib/errors.js';
import { cidrContainsIP, parseCIDR, parseIP, type CIDR, type IP } from '../lib/ip.js';
import type { LinkInfo, Netlink } from './ports.js';

/** Calico's DEFAULT_INTERFACES_TO_EXCLUDE (with `^podman.*` and `^br-.*` from calico#6801 and #7045), then Tortie's. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '^docker.*', '^cbr.*', '^dummy.*', '^virbr.*', '^lxcbr.*', '^veth.*', '^lo',
  '^cali.*', '^tunl.*', '^flannel.*', '^kube-ipvs.*', '^cni.*',
  '^vxlan\\.calico.*', '^vxlan-v6\\.calico.*', '^wireguard\\.cali.*', '^wg-v6\\.cali.*',
  '^nodelocaldns.*', '^podman.*', '^br-.*',
  '^vxlan\\.tortie.*',
];

export type AutodetectMethod =
  | { readonly kind: 'first-found' }
  | { readonly kind: 'interface'; readonly regexes: readonly string[] }
  | { readonly kind: 'skip-interface'; readonly regexes: readonly string[] }
  | { readonly kind: 'cidr'; readonly cidrs: readonly string[] }
  | { readonly kind: 'can-reach'; readonly dest: string };

export interface NodeAddress {
  /** The address with its interface's prefix length, e.g. `10.0.0.5/24`. */
  readonly address: string;
  readonly iface: string;
}

const invalid = (method: string, why: string): TortieError =>
  new TortieError('TORTIE_ERR_NODE_AUTODETECT_INVALID', `Invalid IP autodetection method "${method}": ${why}`, { method });

const notFound = (method: string, why: string, seen: readonly string[]): TortieError =>
  new TortieError('TORTIE_ERR_NODE_ADDRESS_NOT_FOUND', `No node IPv4 address found with "${method}": ${why}`, { method, interfaces: seen });

const splitList = (s: string): string[] => s.split(/\s*,\s*/);

/** Parses Calico's method syntax (`IP_AUTODETECTION_METHOD`); empty means first-found. */
export function parseAutodetectMethod(method: string): AutodetectMethod {
  const m = method.trim();
  if (m === '' || m === 'first-found') return { kind: 'first-found' };
  const regexes = (prefix: string): string[] => {
    const list = splitList(m.slice(prefix.length));
    for (const r of list) {
      if (r === '') throw invalid(m, 'an empty regex');
      try { new RegExp(r); } catch (e) { throw invalid(m, `bad regex "${r}": ${(e as Error).message}`); }
    }
    return list;
  };
  if (m.startsWith('interface=')) return { kind: 'interface', regexes: regexes('interface=') };
  if (m.startsWith('skip-interface=')) return { kind: 'skip-interface', regexes: regexes('skip-interface=') };
  if (m.startsWith('cidr=')) {
    const cidrs = splitList(m.slice('cidr='.length));
    for (const c of cidrs) if (parseCIDR(c) === null) throw invalid(m, `"${c}" is not a CIDR`);
    return { kind: 'cidr', cidrs };
  }
  if (m.startsWith('can-reach=')) {
    const dest = m.slice('can-reach='.length);
    if (parseIP(dest) === null) throw invalid(m, `"${dest}" is not an IP address (Tortie does not resolve names)`);
    return { kind: 'can-reach', dest };
  }
  throw invalid(m, 'expected first-found, interface=REGEX, skip-interface=REGEX, cidr=CIDR or can-reach=IP');
}

/** Go's net.IP.IsGlobalUnicast for IPv4: not unspecified, loopback, link-local, multicast or broadcast. */
function isGlobalUnicast4(ip: IP): boolean {
  const v = ip.value;
  const first = Number(v >> 24n);
  if (v === 0n || v === 0xffffffffn) return false;
  if (first === 127 || first >= 224) return false;
  if (v >> 16n === 0xa9fen) return false; // 169.254/16
  return true;
}

interface Candidate { readonly iface: string; readonly address: string; readonly ip: IP }

/** Each interface's IPv4 addresses, interfaces in Calico's (reverse kernel) order. */
function candidates(links: readonly LinkInfo[], include: RegExp | null, exclude: RegExp | null): Candidate[] {
  const out: Candidate[] = [];
  for (const l of [...links].sort((a, b) => b.index - a.index)) {
    if (include && !include.test(l.name)) continue;
    if (exclude && exclude.test(l.name)) continue;
    for (const a of l.addresses) {
      const c = parseCIDR(a);
      if (!c || c.version !== 4) continue;
      out.push({ iface: l.name, address: a, ip: { version: 4, value: c.address } });
    }
  }
  return out;
}

const union = (res: readonly string[]): RegExp | null => (res.length === 0 ? null : new RegExp(`(${res.join(')|(')})`));

/**
 * Picks the node address from a links dump. For `can-reach`, `reach` is the kernel's answer to
 * `ip route get <dest>` (null when there is no route).
 */
export function chooseNodeAddress(method: AutodetectMethod | string, links: readonly LinkInfo[], reach?: { readonly dev: string; readonly src?: string } | null): NodeAddress {
  const m = typeof method === 'string' ? parseAutodetectMethod(method) : method;
  const label = describe(m);
  const first = (cs: readonly Candidate[], ok: (c: Candidate) => boolean = () => true): NodeAddress | null => {
    const c = cs.find((x) => isGlobalUnicast4(x.ip) && ok(x));
    return c ? { address: c.address, iface: c.iface } : null;
  };
  const names = (cs: readonly Candidate[]): string[] => [...new Set(cs.map((c) => c.iface))];
  switch (m.kind) {
    case 'first-found':
    case 'skip-interface': {
      const cs = candidates(links, null, union([...DEFAULT_EXCLUDES, ...(m.kind === 'skip-interface' ? m.regexes : [])]));
      return first(cs) ?? throwIt(notFound(label, cs.length === 0 ? 'no interface outside the excluded ones has an IPv4 address' : 'no global unicast IPv4 address on the remaining interfaces', names(cs)));
    }
    case 'interface': {
      const cs = candidates(links, union(m.regexes), null);
      return first(cs) ?? throwIt(notFound(label, cs.length === 0 ? 'no matching interface has an IPv4 address' : 'no global unicast IPv4 address on the matching interfaces', names(cs)));
    }
    case 'cidr': {
      const nets: CIDR[] = m.cidrs.map((c) => parseCIDR(c)!);
      const cs = candidates(links, null, null);
      return first(cs, (c) => nets.some((n) => cidrContainsIP(n, c.ip))) ?? throwIt(notFound(label, `no interface address inside ${m.cidrs.join(', ')}`, names(cs)));
    }
    case 'can-reach': {
      if (!reach || reach.src === undefined) throw notFound(label, `the kernel has no route (or no source address) towards ${m.dest}`, []);
      const src = parseIP(reach.src);
      const cs = candidates(links, null, null);
      const hit = cs.find((c) => src !== null && c.ip.value === src.value && c.ip.version === src.version);
      if (!hit) throw notFound(label, `source address ${reach.src} is not on any interface`, names(cs));
      return { address: hit.address, iface: hit.iface };
    }
  }
}

/** Reads the links (and, for can-reach, the route) through the port, then chooses. */
export async function detectNodeAddress(netlink: Netlink, method: string): Promise<NodeAddress> {
  const m = parseAutodetectMethod(method);
  const [links, reach] = await Promise.all([netlink.links(), m.kind === 'can-reach' ? netlink.routeGet(m.dest) : Promise.resolve(null)]);
  return chooseNodeAddress(m, links, reach);
}

function describe(m: AutodetectMethod): string {
  switch (m.kind) {
    case 'first-found': return 'first-found';
    case 'interface': return `interface=${m.regexes.join(',')}`;
    case 'skip-interface': return `skip-interface=${m.regexes.join(',')}`;
    case 'cidr': return `cidr=${m.cidrs.join(',')}`;
    case 'can-reach': return `can-reach=${m.dest}`;
  }
}

function throwIt(e: Error): never { throw e; }
