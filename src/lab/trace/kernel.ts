// What `tortie trace` reads from a live kernel, one network namespace at a time (null: the
// namespace this process runs in). Everything is read with `ip -j`, `bridge -j` and `nft -j`, the
// same views an operator would look at by hand; nothing is changed.

import { spawnSync } from 'node:child_process';

/** A route as `ip -j route` prints it. */
export interface KernelRoute {
  readonly dst: string;
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly scope?: string;
  readonly prefsrc?: string;
  readonly metric?: number;
  readonly flags?: readonly string[];
}

export type RouteLookup = { readonly ok: true; readonly route: KernelRoute } | { readonly ok: false; readonly error: string };

export interface KernelLink {
  readonly ifname: string;
  readonly address?: string;
  readonly kind?: string;
  readonly linkNetnsId?: number;
  readonly vxlan?: { readonly id: number; readonly local?: string; readonly port: number };
}

export interface NftRuleCounter { readonly comment: string; readonly packets: number; readonly bytes: number }

export interface KernelView {
  /** `ip route get DST [from SRC iif DEV]`: the kernel's own forwarding decision. */
  routeGet(netns: string | null, dst: string, opts?: { readonly from?: string; readonly iif?: string }): RouteLookup;
  /** The main table. */
  routes(netns: string | null): readonly KernelRoute[];
  neighbours(netns: string | null, dev: string): ReadonlyArray<{ readonly dst: string; readonly lladdr?: string; readonly state?: readonly string[] }>;
  fdb(netns: string | null, dev: string): ReadonlyArray<{ readonly mac: string; readonly dst?: string }>;
  link(netns: string | null, dev: string): KernelLink | null;
  /** Interface addresses: ifname → addresses (without prefix length). */
  addresses(netns: string | null): ReadonlyMap<string, readonly string[]>;
  /** A /proc/sys value, e.g. net/ipv4/conf/cali123/proxy_arp; null when absent. */
  sysctl(netns: string | null, path: string): string | null;
  /** The names of the namespaces this one has ids for (`ip netns list-id`). */
  namespaceIds(netns: string | null): ReadonlyMap<number, string>;
  /** The counted rules of one chain of table `inet tortie`; null when the chain is not there. */
  nftCounters(netns: string | null, chain: string): readonly NftRuleCounter[] | null;
}

function exec(netns: string | null, argv: readonly string[]): { ok: boolean; stdout: string; stderr: string } {
  const full = netns === null ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? r.error?.message ?? '').trim() };
}

function json<T>(netns: string | null, argv: readonly string[], fallback: T): T {
  const r = exec(netns, argv);
  if (!r.ok || r.stdout.trim() === '') return fallback;
  try { return JSON.parse(r.stdout) as T; } catch { return fallback; }
}

/** The kernel of this machine, read through its command-line tools. */
export class LiveKernel implements KernelView {
  routeGet(netns: string | null, dst: string, opts: { from?: string; iif?: string } = {}): RouteLookup {
    const argv = ['ip', '-j', 'route', 'get', dst, ...(opts.from ? ['from', opts.from] : []), ...(opts.iif ? ['iif', opts.iif] : [])];
    const r = exec(netns, argv);
    if (!r.ok) return { ok: false, error: r.stderr.replace(/^RTNETLINK answers: /, '') || `ip route get ${dst} failed` };
    try {
      const [route] = JSON.parse(r.stdout) as KernelRoute[];
      return route ? { ok: true, route } : { ok: false, error: 'no answer' };
    } catch { return { ok: false, error: `unreadable answer: ${r.stdout.slice(0, 200)}` }; }
  }

  routes(netns: string | null): readonly KernelRoute[] {
    return json<KernelRoute[]>(netns, ['ip', '-j', 'route', 'show'], []);
  }

  neighbours(netns: string | null, dev: string): ReadonlyArray<{ dst: string; lladdr?: string; state?: string[] }> {
    return json(netns, ['ip', '-j', 'neigh', 'show', 'dev', dev], []);
  }

  fdb(netns: string | null, dev: string): ReadonlyArray<{ mac: string; dst?: string }> {
    return json(netns, ['bridge', '-j', 'fdb', 'show', 'dev', dev], []);
  }

  link(netns: string | null, dev: string): KernelLink | null {
    type Raw = { ifname: string; address?: string; link_netnsid?: number; linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number } } };
    const [l] = json<Raw[]>(netns, ['ip', '-j', '-d', 'link', 'show', 'dev', dev], []);
    if (!l) return null;
    const kind = l.linkinfo?.info_kind;
    const data = l.linkinfo?.info_data;
    return {
      ifname: l.ifname,
      ...(l.address ? { address: l.address } : {}),
      ...(kind ? { kind } : {}),
      ...(l.link_netnsid !== undefined ? { linkNetnsId: l.link_netnsid } : {}),
      ...(kind === 'vxlan' && data?.id !== undefined ? { vxlan: { id: data.id, port: data.port ?? 4789, ...(data.local ? { local: data.local } : {}) } } : {}),
    };
  }

  addresses(netns: string | null): ReadonlyMap<string, readonly string[]> {
    const raw = json<Array<{ ifname: string; addr_info?: Array<{ local: string }> }>>(netns, ['ip', '-j', 'addr', 'show'], []);
    return new Map(raw.map((l) => [l.ifname, (l.addr_info ?? []).map((a) => a.local)]));
  }

  sysctl(netns: string | null, path: string): string | null {
    const r = exec(netns, ['cat', `/proc/sys/${path}`]);
    return r.ok ? r.stdout.trim() : null;
  }

  namespaceIds(netns: string | null): ReadonlyMap<number, string> {
    const raw = json<Array<{ nsid: number; name?: string }>>(netns, ['ip', '-j', 'netns', 'list-id'], []);
    return new Map(raw.filter((x) => x.name).map((x) => [x.nsid, x.name!]));
  }

  nftCounters(netns: string | null, chain: string): readonly NftRuleCounter[] | null {
    type Expr = { counter?: { packets: number; bytes: number } };
    type Item = { rule?: { comment?: string; expr?: Expr[] } };
    const r = exec(netns, ['nft', '-j', 'list', 'chain', 'inet', 'tortie', chain]);
    if (!r.ok) return null;
    let items: Item[];
    try { items = (JSON.parse(r.stdout) as { nftables: Item[] }).nftables; } catch { return null; }
    const out: NftRuleCounter[] = [];
    for (const it of items) {
      const c = it.rule?.expr?.find((e) => e.counter)?.counter;
      if (it.rule && c) out.push({ comment: it.rule.comment ?? '', packets: c.packets, bytes: c.bytes });
    }
    return out;
  }
}
