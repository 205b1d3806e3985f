// The socket options Node does not expose, through koffi (node-libs.md §5): TCP_MD5SIG (RFC 2385
// session passwords), IP_MINTTL/IPV6_MINHOPCOUNT and IP_TTL/IPV6_UNICAST_HOPS (RFC 5082 GTSM).
// Linux only; anywhere else, or when libc cannot be loaded, a password or TTL security setting
// fails with a clear error instead of silently running an unprotected session.

import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { TortieError } from '../../lib/errors.js';

const IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_IPV6 = 41;
const IP_TTL = 2, IP_MINTTL = 21, IPV6_UNICAST_HOPS = 16, IPV6_MINHOPCOUNT = 73, TCP_MD5SIG = 14;
const AF_INET = 2, AF_INET6 = 10;
/** struct tcp_md5sig: sockaddr_storage (128), flags, prefixlen, keylen (u16 at 130), ifindex, key[80] at 136. */
const MD5SIG_SIZE = 216;
export const MD5_MAX_KEY = 80;

type SetSockOpt = (fd: number, level: number, name: number, value: Uint8Array, len: number) => number;

let loaded: { set: SetSockOpt; errno: () => number } | Error | undefined;

function libc(): { set: SetSockOpt; errno: () => number } {
  if (loaded === undefined) {
    try {
      if (process.platform !== 'linux') throw new Error(`${process.platform} is not Linux`);
      const koffi = createRequire(import.meta.url)('koffi') as {
        load(lib: string): { func(sig: string): SetSockOpt };
        errno(): number;
      };
      const lib = koffi.load('libc.so.6');
      loaded = { set: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'), errno: () => koffi.errno() };
    } catch (e) {
      loaded = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (loaded instanceof Error) {
    throw new TortieError('TORTIE_ERR_BGP_SOCKOPT', `BGP socket options (TCP MD5 passwords, TTL security) are unavailable here: ${loaded.message}`);
  }
  return loaded;
}

function setOpt(fd: number, level: number, name: number, value: Uint8Array, what: string): void {
  const c = libc();
  if (c.set(fd, level, name, value, value.length) !== 0) {
    throw new TortieError('TORTIE_ERR_BGP_SOCKOPT', `Setting ${what} failed (errno ${c.errno()})`, { errno: c.errno() });
  }
}

const int32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, n, true); return b; };

/** The address a socket option is about, as the kernel's sockaddr for a socket of `socketFamily`. */
function sockaddr(address: string, socketFamily: 4 | 6): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  const v = isIP(address);
  if (v === 4 && socketFamily === 4) {
    dv.setUint16(0, AF_INET, true);
    address.split('.').forEach((o, i) => { b[4 + i] = Number(o); });
    return b;
  }
  dv.setUint16(0, AF_INET6, true);
  if (v === 4) { // IPv4-mapped on an IPv6 socket
    b[8 + 10] = 0xff; b[8 + 11] = 0xff;
    address.split('.').forEach((o, i) => { b[8 + 12 + i] = Number(o); });
    return b;
  }
  const parts = expand6(address);
  parts.forEach((p, i) => { b[8 + 2 * i] = p >> 8; b[8 + 2 * i + 1] = p & 0xff; });
  return b;
}

function expand6(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x || '0', 16));
}

/**
 * Sets (or with an empty key, removes) the TCP MD5 key for `peer` on a socket — on a listener
 * before the peer connects, on an outgoing socket before connect().
 */
export function setMd5Key(fd: number, socketFamily: 4 | 6, peer: string, key: string): void {
  const k = new TextEncoder().encode(key);
  if (k.length > MD5_MAX_KEY) throw new TortieError('TORTIE_ERR_BGP_SOCKOPT', `The BGP password for ${peer} is ${k.length} bytes; TCP MD5 keys are at most ${MD5_MAX_KEY}`);
  const s = new Uint8Array(MD5SIG_SIZE);
  s.set(sockaddr(peer, socketFamily), 0);
  new DataView(s.buffer).setUint16(130, k.length, true);
  s.set(k, 136);
  setOpt(fd, IPPROTO_TCP, TCP_MD5SIG, s, `the TCP MD5 password for ${peer}`);
}

/** GTSM (RFC 5082): send with TTL 255 and accept only packets that arrive with TTL ≥ 256 - hops. */
export function setTtlSecurity(fd: number, socketFamily: 4 | 6, hops: number): void {
  const min = Math.max(1, 256 - Math.max(1, hops));
  if (socketFamily === 4) {
    setOpt(fd, IPPROTO_IP, IP_TTL, int32(255), 'IP_TTL');
    setOpt(fd, IPPROTO_IP, IP_MINTTL, int32(min), 'IP_MINTTL');
  } else {
    setOpt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(255), 'IPV6_UNICAST_HOPS');
    setOpt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, int32(min), 'IPV6_MINHOPCOUNT');
  }
}

/** Whether the options can be set here at all (for status and early, clear errors). */
export function sockoptAvailable(): boolean {
  try { libc(); return true; } catch { return false; }
}
