// Checks and canonical spellings for the values the Netlink port carries (interface names, MACs,
// IPs). Every value is checked before anything is written, so a bad value can never turn into a
// half-applied batch (iproute2 exits at the first line it cannot parse, dropping the lines after it).

import { TortieError } from '../lib/errors.js';
import { formatIP, parseCIDR, parseIP } from '../lib/ip.js';
import type { FdbEntry, Neighbour, VxlanDevice } from './ports.js';

const invalid = (what: string, value: unknown, expected: string): TortieError =>
  new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid ${what} ${JSON.stringify(value)}: expected ${expected}`, { value });

/** Linux interface names: 1–15 bytes, no whitespace, '/' or ':' (IFNAMSIZ and dev_valid_name). */
export function checkDevName(name: string): string {
  if (typeof name !== 'string' || !/^[^\s/:'"#\\]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw invalid('interface name', name, 'at most 15 characters without spaces, "/" or ":"');
  }
  return name;
}

export function canonicalMac(mac: string): string {
  if (typeof mac !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw invalid('MAC address', mac, 'six colon-separated hex bytes such as ee:ee:ee:ee:ee:ee');
  return mac.toLowerCase();
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The 32-bit value of a canonical dotted quad (no leading zeros), or null: the fast path for bulk route tables. */
export function v4Value(s: string): number | null {
  const m = V4.exec(s);
  return m ? ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0 : null;
}

export function canonicalIP(s: string, what = 'IP address'): string {
  if (typeof s === 'string' && V4.test(s)) return s; // already canonical
  const ip = typeof s === 'string' ? parseIP(s) : null;
  if (!ip) throw invalid(what, s, 'an IPv4 or IPv6 address');
  return formatIP(ip);
}

/** An interface address with its prefix length (`10.65.0.1/32`), canonical; host bits are kept. */
export function canonicalIfaceAddress(s: string): string {
  const c = typeof s === 'string' ? parseCIDR(s) : null;
  if (!c) throw invalid('interface address', s, 'an address with a prefix length such as 10.65.0.1/32');
  return `${formatIP({ version: c.version, value: c.address })}/${c.prefix}`;
}

export const canonicalNeighbour = (n: Neighbour): Neighbour =>
  ({ dev: checkDevName(n.dev), ip: canonicalIP(n.ip, 'neighbour address'), mac: canonicalMac(n.mac) });

export const canonicalFdb = (f: FdbEntry): FdbEntry =>
  ({ dev: checkDevName(f.dev), mac: canonicalMac(f.mac), dst: canonicalIP(f.dst, 'FDB destination') });

export function canonicalVxlan(d: VxlanDevice): VxlanDevice {
  const intIn = (v: number, lo: number, hi: number, what: string): number => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw invalid(what, v, `an integer from ${lo} to ${hi}`);
    return v;
  };
  return {
    name: checkDevName(d.name),
    vni: intIn(d.vni, 1, 0xffffff, 'VXLAN VNI'),
    port: intIn(d.port, 1, 65535, 'VXLAN port'),
    local: canonicalIP(d.local, 'VXLAN local address'),
    parent: checkDevName(d.parent),
    mtu: intIn(d.mtu, 68, 65535, 'MTU'),
    mac: canonicalMac(d.mac),
    address: canonicalIfaceAddress(d.address),
  };
}
