// One canonical spelling per route, so that what the kernel reports for a route the agent added
// compares equal to what the agent asked for (otherwise the tracker rewrites it on every apply):
//
//   asked for                                   kernel reports (ip -j route)           canonical
//   10.65.0.3/32 dev caliX                      dst 10.65.0.3, scope link               dst 10.65.0.3/32, scope link
//   10.65.1.0/26 via 10.0.0.7 dev eth0          no scope (universe)                     scope global
//   blackhole 10.65.2.0/26                      type blackhole (IPv6: dev lo)           only dst and type
//                                               (so are unreachable and prohibit)
//   onlink: false                               no flag                                 onlink omitted
//   fd00::/64 dev eth0 scope link               IPv6 ignores scope                      scope global
//
// IPv4 dev-only routes get scope link and gateway routes scope global when none is given — the
// kernel's own defaults (iproute2 `ip route add`).

import { TortieError } from '../../lib/errors.js';
import { formatIP, parseCIDR, isMasked } from '../../lib/ip.js';
import type { Route } from '../ports.js';
import { canonicalIP, checkDevName, v4Value } from '../kernel-values.js';

/** `10.65.0.3` → `10.65.0.3/32`, `fd00::0/64` → `fd00::/64`; rejects host bits (the kernel does too). */
export function canonicalDst(dst: string): string {
  // Fast path for the common, already canonical IPv4 CIDR (a node holds thousands of /32s).
  if (typeof dst === 'string') {
    const slash = dst.indexOf('/');
    const v = v4Value(slash < 0 ? dst : dst.slice(0, slash));
    const ps = slash < 0 ? '32' : dst.slice(slash + 1);
    if (v !== null && /^(3[0-2]|[12]?\d)$/.test(ps)) {
      const prefix = Number(ps);
      const host = prefix === 32 ? 0 : (0xffffffff >>> prefix);
      if ((v & host) !== 0) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid route destination "${dst}": host bits are set`, { value: dst });
      return slash < 0 ? `${dst}/32` : dst;
    }
  }
  const c = parseCIDR(dst.includes('/') ? dst : `${dst}/${dst.includes(':') ? 128 : 32}`);
  if (!c) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid route destination "${dst}": expected a CIDR such as 10.65.0.0/26`, { value: dst });
  if (!isMasked(c)) throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid route destination "${dst}": host bits are set`, { value: dst });
  return `${formatIP({ version: c.version, value: c.address })}/${c.prefix}`;
}

/** The canonical form of a route (see the table above). Throws TORTIE_ERR_DATAPLANE_INVALID on bad values. */
export function canonicalRoute(r: Route): Route {
  const dst = canonicalDst(r.dst);
  if (r.type !== undefined && r.type !== 'unicast') {
    if (r.type !== 'blackhole' && r.type !== 'unreachable' && r.type !== 'prohibit') {
      throw new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid route type "${String(r.type)}" for ${dst}: expected unicast, blackhole, unreachable or prohibit`, { value: r.type });
    }
    return { dst, type: r.type };
  }
  const v6 = dst.includes(':');
  const via = r.via === undefined ? undefined : canonicalIP(r.via, 'gateway');
  const src = r.src === undefined ? undefined : canonicalIP(r.src, 'source address');
  const scope = v6 ? 'global' : (r.scope ?? (via === undefined ? 'link' : 'global'));
  const out: { -readonly [K in keyof Route]: Route[K] } = { dst, type: 'unicast' };
  if (r.dev !== undefined) out.dev = checkDevName(r.dev);
  if (via !== undefined) out.via = via;
  if (r.onlink === true) out.onlink = true;
  out.scope = scope;
  if (src !== undefined) out.src = src;
  return out;
}

/**
 * Whether the kernel's route `actual` satisfies the desired route `desired` (both canonical). A
 * desired route without `dev` lets the kernel choose the interface, so any `dev` satisfies it.
 */
export function routeSatisfies(desired: Route, actual: Route): boolean {
  return desired.dst === actual.dst && desired.type === actual.type &&
    (desired.dev === undefined || desired.dev === actual.dev) &&
    desired.via === actual.via && (desired.onlink === true) === (actual.onlink === true) &&
    desired.scope === actual.scope && desired.src === actual.src;
}

