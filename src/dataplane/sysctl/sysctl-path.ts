// Sysctl names, dotted or slashed, as sysctl(8) (procps) reads them:
//   net/ipv4/conf/vxlan.tortie/proxy_arp   slashed: taken as the path under /proc/sys
//   net.ipv4.conf.vxlan/tortie.proxy_arp   dotted: '.' separates, and '/' stands for a '.' in a name
//   net.ipv4.conf.vxlan.tortie.proxy_arp   dotted and ambiguous: `sysctlCandidates()` lists every split,
//                                          and the adapter keeps the one that exists
// The managers always build slashed paths with `sysctlPath()`, which is never ambiguous.

import { TortieError } from '../../lib/errors.js';

const bad = (path: string, why: string): TortieError =>
  new TortieError('TORTIE_ERR_DATAPLANE_INVALID', `Invalid sysctl name "${path}": ${why}`, { path });

/** A slashed path from its components: `sysctlPath('net', 'ipv4', 'conf', 'vxlan.tortie', 'proxy_arp')`. */
export function sysctlPath(...parts: string[]): string {
  for (const p of parts) if (p === '' || p === '.' || p === '..' || /[/\s]/.test(p)) throw bad(parts.join('/'), `component "${p}" is empty or contains "/" or spaces`);
  return parts.join('/');
}

/** The slashed path for a name, reading a dotted name the procps way ('/' inside stands for '.'). */
export function toSlashed(path: string): string {
  if (typeof path !== 'string' || path.length === 0 || /\s|\.\.|\/\//.test(path) || path.startsWith('/') || path.startsWith('.')) {
    throw bad(String(path), 'expected a name such as net.ipv4.ip_forward or net/ipv4/ip_forward');
  }
  const slash = path.indexOf('/');
  const dot = path.indexOf('.');
  if (dot < 0 || (slash >= 0 && slash < dot)) return path;
  return path.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * Every slashed path a dotted name could mean when names may contain dots, most components first:
 * `net.ipv4.conf.vxlan.tortie.proxy_arp` → `net/ipv4/conf/vxlan/tortie/proxy_arp`, …,
 * `net/ipv4/conf/vxlan.tortie/proxy_arp`, …. A slashed name has exactly one.
 */
export function sysctlCandidates(path: string): string[] {
  const first = toSlashed(path);
  const slash = path.indexOf('/');
  const dot = path.indexOf('.');
  if (dot < 0 || (slash >= 0 && slash < dot)) return [first];
  const parts = first.split('/');
  const out: string[] = [];
  // Each of the (n-1) boundaries is either a separator or a literal dot; 2^(n-1) splits, n is small.
  const n = parts.length;
  if (n > 12) return [first];
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    let s = parts[0]!;
    for (let i = 1; i < n; i++) s += ((mask >> (i - 1)) & 1 ? '.' : '/') + parts[i]!;
    out.push(s);
  }
  const count = (s: string): number => s.split('/').length;
  return out.sort((a, b) => count(b) - count(a) || (a < b ? -1 : 1));
}
