// An in-memory /proc/sys for unit tests. Per-interface keys (`net/ipv4/conf/<if>/…`,
// `net/ipv4/neigh/<if>/…`, `net/ipv6/conf/<if>/…`) exist exactly while the interface does — pass
// `interfaces: () => fakeNetlink.linkNames()` to tie them to a FakeNetlink — and come back with the
// kernel's defaults when an interface is re-created. Writing a key that does not exist fails the way
// SysctlFs does (TORTIE_ERR_DATAPLANE_SYSCTL, errno ENOENT); reading one returns null. Writing
// `net/ipv4/ip_forward` sets every interface's `forwarding`, as the kernel does.

import { TortieError } from '../lib/errors.js';
import type { Sysctl } from './ports.js';
import { sysctlCandidates } from './sysctl/sysctl-path.js';

const PER_IF: ReadonlyArray<readonly [RegExp, Readonly<Record<string, string>>]> = [
  [/^net\/ipv4\/conf\/([^/]+)\/([^/]+)$/, { proxy_arp: '0', forwarding: '0', route_localnet: '0', rp_filter: '0', accept_local: '0' }],
  [/^net\/ipv4\/neigh\/([^/]+)\/([^/]+)$/, { proxy_delay: '80', gc_stale_time: '60' }],
  [/^net\/ipv6\/conf\/([^/]+)\/([^/]+)$/, { forwarding: '0', accept_ra: '1', accept_dad: '1', disable_ipv6: '0', proxy_ndp: '0' }],
];
const GLOBAL_DEFAULTS: Readonly<Record<string, string>> = {
  'net/ipv4/ip_forward': '0',
  'net/ipv6/conf/all/forwarding': '0',
};

export interface FakeSysctlOptions {
  /** The interfaces that exist now; defaults to a fixed `lo` only. */
  readonly interfaces?: () => Iterable<string>;
  /** Initial values (slashed paths). */
  readonly values?: Readonly<Record<string, string>>;
}

export class FakeSysctl implements Sysctl {
  /** Every write, in order, as `path=value`. */
  readonly writes: string[] = [];
  private readonly values = new Map<string, string>();
  private readonly interfaces: () => Iterable<string>;
  private known = new Set<string>();

  constructor(opts: FakeSysctlOptions = {}) {
    this.interfaces = opts.interfaces ?? (() => ['lo']);
    for (const [k, v] of Object.entries({ ...GLOBAL_DEFAULTS, ...opts.values })) this.values.set(k, v);
  }

  async read(path: string): Promise<string | null> {
    const p = this.resolve(path);
    return p === null ? null : this.get(p);
  }

  async write(path: string, value: string): Promise<void> {
    const p = this.resolve(path);
    if (p === null) {
      throw new TortieError('TORTIE_ERR_DATAPLANE_SYSCTL', `Cannot write sysctl ${path}: it does not exist (ENOENT)`, { path, errno: 'ENOENT' });
    }
    const v = value.trim();
    this.writes.push(`${p}=${v}`);
    this.values.set(p, v);
    if (p === 'net/ipv4/ip_forward') {
      for (const i of this.ifaces()) this.values.set(`net/ipv4/conf/${i}/forwarding`, v);
    }
  }

  // The slashed path that exists for this name, or null.
  private resolve(path: string): string | null {
    this.forgetVanished();
    for (const c of sysctlCandidates(path)) if (this.get(c) !== null) return c;
    return null;
  }

  private get(p: string): string | null {
    const have = this.values.get(p);
    const ifaces = this.ifaces();
    for (const [re, defaults] of PER_IF) {
      const m = re.exec(p);
      if (!m) continue;
      const [, iface, key] = m;
      if (!ifaces.has(iface!)) return null;
      // A new interface's IPv4 forwarding follows net.ipv4.ip_forward (devinet's inheritance).
      if (key === 'forwarding' && p.startsWith('net/ipv4/')) return have ?? this.values.get('net/ipv4/ip_forward') ?? '0';
      return have ?? defaults[key!] ?? null;
    }
    return have ?? null;
  }

  private ifaces(): Set<string> {
    return new Set(['all', 'default', ...this.interfaces()]);
  }

  // An interface that went away loses its settings; a new one with the same name starts fresh.
  private forgetVanished(): void {
    const now = this.ifaces();
    for (const gone of [...this.known].filter((i) => !now.has(i))) {
      for (const k of [...this.values.keys()]) {
        if (PER_IF.some(([re]) => re.exec(k)?.[1] === gone)) this.values.delete(k);
      }
    }
    this.known = now;
  }
}
