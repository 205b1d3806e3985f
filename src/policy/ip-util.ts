// Small address helpers the policy core shares.

import { formatCIDR, parseCIDR, parseIP, type CIDR, type IP } from '../lib/ip.js';

/** `10.0.0.1` → 10.0.0.1/32; a CIDR as itself; null otherwise. */
export function parseIPOrCIDRLoose(s: string): CIDR | null {
  if (s.includes('/')) return parseCIDR(s);
  const ip = parseIP(s);
  return ip === null ? null : { version: ip.version, address: ip.value, prefix: ip.version === 4 ? 32 : 128 };
}

/** A map key for an address. */
export const ipKey = (ip: IP): string => `${ip.version}:${ip.value.toString(16)}`;

export const hostCIDR = (ip: IP): CIDR => ({ version: ip.version, address: ip.value, prefix: ip.version === 4 ? 32 : 128 });

export const showCIDR = (c: CIDR): string => (c.prefix === (c.version === 4 ? 32 : 128) ? formatCIDR(c).replace(/\/\d+$/, '') : formatCIDR(c));
