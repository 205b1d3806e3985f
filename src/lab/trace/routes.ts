// Which route of a table a destination matched, and how `ip route` would print it. `ip route get`
// tells the kernel's decision but not the entry behind it; the longest-prefix match over the main
// table names the entry an operator would look for.

import { cidrContainsIP, parseCIDR, parseIP, type CIDR } from '../../lib/ip.js';
import type { KernelRoute } from './kernel.js';

function cidrOf(r: KernelRoute): CIDR | null {
  if (r.dst === 'default') return parseCIDR('0.0.0.0/0');
  return parseCIDR(r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`);
}

/** The most specific route holding `dst` (the lowest metric among equals); null when none does. */
export function longestMatch(routes: readonly KernelRoute[], dst: string): KernelRoute | null {
  const ip = parseIP(dst);
  if (ip === null) return null;
  let best: { r: KernelRoute; prefix: number } | null = null;
  for (const r of routes) {
    const c = cidrOf(r);
    if (c === null || c.version !== ip.version || !cidrContainsIP(c, ip)) continue;
    if (best === null || c.prefix > best.prefix || (c.prefix === best.prefix && (r.metric ?? 0) < (best.r.metric ?? 0))) best = { r, prefix: c.prefix };
  }
  return best?.r ?? null;
}

/** One route in `ip route` syntax (Tortie's routes carry proto 80, as Calico's do). */
export function routeText(r: KernelRoute): string {
  const parts = [...(r.type && r.type !== 'unicast' ? [r.type] : []), r.dst];
  if (r.gateway) parts.push('via', r.gateway);
  if (r.dev) parts.push('dev', r.dev);
  if (r.protocol) parts.push('proto', r.protocol);
  if (r.scope && r.scope !== 'global') parts.push('scope', r.scope);
  if (r.prefsrc) parts.push('src', r.prefsrc);
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  for (const f of r.flags ?? []) parts.push(f);
  return parts.join(' ');
}
